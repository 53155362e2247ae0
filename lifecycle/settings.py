"""The one settings class: every threshold and address is configuration, read from PROCURE_*."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Product configuration; environment variables carry the prefix PROCURE_."""

    model_config = SettingsConfigDict(env_prefix="PROCURE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""  # empty: SQLite at data_dir/procure.db
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_url: str = ""  # links in emails; empty: http://api_host:api_port
    prefect_port: int = 4200

    # Routing thresholds, whole-life value including VAT, in pence (1 January 2026 figures).
    quotes_threshold_pence: int = 5_000_00
    advertised_threshold_pence: int = 30_000_00
    goods_services_threshold_pence: int = 207_720_00
    works_threshold_pence: int = 5_193_000_00
    light_touch_threshold_pence: int = 663_540_00
    register_threshold_pence: int = 5_000_00  # Transparency Code: contracts of 5,000 or more
    # Contracts at or over this whole-life value, and every key contract, need a trained manager.
    trained_manager_threshold_pence: int = 500_000_00
    kpi_threshold_pence: int = 5_000_000_00
    # A KPI contract's performance is assessed at least every 12 months (Procurement Act s.71).
    assessment_interval_months: int = Field(default=12, ge=1, le=12)

    standstill_working_days: int = Field(default=8, ge=8)  # Procurement Act 2023 s.51 minimum
    legal_sla_working_days: int = 5
    gate_sla_working_days: int = 5
    gate_escalation_working_days: int = 5
    # The longest a delegation of someone's gates may last (both days counted): an absence,
    # not a standing change of who decides.
    delegation_max_days: int = Field(default=92, ge=1, le=366)
    review_interval_days: int = 90
    key_review_interval_days: int = 30
    review_reminder_lead_days: int = 7
    review_escalation_days: int = 14

    # Variations beyond these need legal's approval besides procurement's (lifecycle/variations):
    # Procurement Act 2023 s.74 lets a contract be modified without a new procurement where the
    # changes together move its value by not more than 10% (goods, services) or 15% (works) of
    # the value at award (a below-threshold modification), and where it is not a substantial
    # modification, which includes moving the term by more than 10% of the term at award;
    # beyond these only the Schedule 8 grounds (permitted modifications) allow it.
    variation_value_percent_goods_services: int = Field(default=10, ge=0, le=100)
    variation_value_percent_works: int = Field(default=15, ge=0, le=100)
    variation_term_percent: int = Field(default=10, ge=0, le=100)
    # Months before a contract's end date at which its manager and procurement are asked for
    # the expiry decision (extend, re-procure or end); no decision by the shortest escalates.
    expiry_lead_months: list[int] = Field(default=[9, 6, 3], min_length=1)
    # The termination notice is due within 30 days of a contract's end (Procurement Act 2023
    # s.80); a council may hold itself to fewer. Reminded as these many days or fewer are left.
    termination_notice_days: int = Field(default=30, ge=1, le=30)
    termination_notice_reminder_days: list[int] = Field(default=[7, 1])
    # Every other Procurement Act notice not yet published is reminded to procurement as its
    # duty arises, as these many days or fewer are left, and once overdue; it is escalated to
    # the admins after gate_escalation_working_days, as a gate is.
    notice_reminder_days: list[int] = Field(default=[7, 1])
    # Notices whose duty arose longer ago than this are not reminded (their pages still show
    # them): a database from before the reminders is not flooded with escalations.
    notice_reminder_window_days: int = Field(default=90, ge=1, le=3660)

    max_upload_bytes: int = 20 * 1024 * 1024
    ocid_prefix: str = "ocds-procure"  # replace with the council's registered OCDS prefix
    # The council as OCDS buyer and publisher: its name and org-id (GB-LAE: English local
    # authorities' codes; see org-id.guide), and the licence the open data is published under.
    # Until the identifier is set, notices list it as missing.
    buyer_name: str = "The Council"
    buyer_scheme: str = "GB-LAE"
    buyer_identifier: str = ""
    ocds_license: str = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    reference_prefix: str = "PR"

    smtp_host: str = ""  # empty: mail stays in the outbox, readable over the API
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    # How mail is protected in transit: "opportunistic" upgrades with STARTTLS whenever the
    # server offers it; "starttls" insists on it; "tls" is implicit TLS from the first byte
    # (usually port 465); "none" sends in the clear (a relay on the same host only).
    smtp_security: Literal["opportunistic", "starttls", "tls", "none"] = "opportunistic"
    smtp_ca_file: str = ""  # a CA bundle to verify the server with; empty: the system's
    mail_from: str = "procure@council.example"
    # A mail is retried (backing off from 30 s to at most an hour) for this long before it is
    # given up as failed; `procure mail retry` queues failed mail again.
    mail_retry_hours: int = Field(default=72, ge=1, le=24 * 30)
    # How long a dispatcher holds the mail it claimed before another may take it over: longer
    # than a batch takes to send, so only a dispatcher that died lets its claim lapse.
    mail_lease_seconds: int = Field(default=300, ge=5, le=3600)

    # Signing in to the pages.
    session_hours: int = Field(default=10, ge=1, le=24 * 7)  # a working day, then sign in again
    invitation_hours: int = Field(default=72, ge=1, le=24 * 30)

    dispatch_interval_seconds: float = 0.5
    # How often the runner asks Prefect for runs of the deployments it serves. Unset: every
    # second when stage runs go to deployments (a person waits on them), every 15 s when they
    # run in process and the runner has only the daily sweeps to start: asking every second
    # cost the Prefect server a third of its CPU at rest (3.4% of a core against 2.1%).
    runner_poll_seconds: float | None = Field(default=None, gt=0, le=300)
    # How stage flows run. "in_process": the dispatcher runs each as a Prefect flow run inside
    # its own long-lived process, `stage_concurrency` at once (no Python process per run: the
    # embedded default). "deployments": it submits them to prefect.yaml's deployments, which
    # Prefect workers on the `procure` work pool run (many machines).
    stage_execution: Literal["in_process", "deployments"] = "in_process"
    # Two: one for bulk work, one kept for a person's next stage. More does not help on the
    # embedded default (the Prefect server's SQLite takes one write at a time: with 3 the runs
    # went 15.3 a second against 15.4 to 19.2 with 2, scripts/bench runs); with the Prefect
    # server on PostgreSQL, 4 went 22.2 a second.
    stage_concurrency: int = Field(default=2, ge=1, le=32)
    # An executor renews its claim on the runs it holds well within this; a claim left to lapse
    # means that executor died, and its runs are settled as crashed and asked for again.
    stage_lease_seconds: float = Field(default=60, ge=2, le=3600)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        """Every process must agree on the folder whatever its working directory."""
        return value.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'procure.db'}"

    @property
    def documents_dir(self) -> Path:
        """Where the central repository keeps document bytes, named by SHA-256."""
        return self.data_dir / "documents"

    @property
    def base_url(self) -> str:
        """The API's address as people should see it in links."""
        return self.public_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def runner_poll(self) -> float:
        """Seconds between the runner's asks for due runs (see `runner_poll_seconds`)."""
        if self.runner_poll_seconds is not None:
            return self.runner_poll_seconds
        return 1.0 if self.stage_execution == "deployments" else 15.0


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
