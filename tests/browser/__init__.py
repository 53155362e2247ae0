"""Browser tests. A package, so that its Chromium and its running product stop after its last
test rather than at the end of the whole session (Playwright's sync API keeps an event loop
marked running in the main thread, which would break later tests that call asyncio.run)."""
