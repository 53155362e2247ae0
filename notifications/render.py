"""Turns a notification and its context into subject, text and HTML. Pure: reads templates only."""

import re
from collections.abc import Mapping
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications.types import Notification, RenderedMail

_BLANK_RUNS = re.compile(r"\n{3,}")
# Control characters other than tab and line feed: a NUL in a header, a lone carriage return
# that some clients show as a new line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _neutral(value: object) -> object:
    """A context value that cannot shape the mail around it: control characters gone, and
    each further line of a multi-line value indented, so that no value can forge a line of
    ours ("Open the case: ..."). Non-text values pass through."""
    if not isinstance(value, str):
        return value
    lines = _CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    return "\n    ".join(lines)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """The shared template environment, built once per process."""
    return Environment(
        loader=PackageLoader("notifications", "templates"),
        # Only HTML is escaped: escaping the text body or subject would show officers "&amp;".
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        # A forgotten context key must fail at render time, not send a mail with a gap in it.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _tidy_text(text: str) -> str:
    """The text body with template whitespace folded to single blank lines between paragraphs."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)) + "\n"


def render(notification: Notification, context: Mapping[str, object]) -> RenderedMail:
    """Render one notification; raises jinja2.UndefinedError when the context lacks a key."""
    env = _environment()
    name = Notification(notification).value
    values = {name: _neutral(value) for name, value in context.items()}
    subject = env.get_template(f"{name}.subject.j2").render(values)
    text = env.get_template(f"{name}.txt.j2").render(values)
    html = env.get_template(f"{name}.html.j2").render(values)
    # A header cannot hold a line break, and a value with one in it must not split the subject.
    return RenderedMail(
        subject=" ".join(subject.split()), text=_tidy_text(text), html=html.strip() + "\n"
    )
