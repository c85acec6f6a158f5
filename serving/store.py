"""The journal store: entries and their scores per model version (SQLAlchemy; SQLite or PostgreSQL).

Scores are keyed by (entry, model version), so re-scoring with a new model adds rows and never
overwrites history. Every method takes the owning user, so one user never sees another's entries.
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    exists,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload, sessionmaker

from llm.labels import EMOTIONS
from llm.prediction import Prediction

Period = Literal["day", "week"]


class Base(DeclarativeBase):
    pass


class EntryRow(Base):
    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # naive UTC
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    crisis_matched: Mapped[list] = mapped_column(JSON, default=list)
    explanation: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    scores: Mapped[list["ScoreRow"]] = relationship(back_populates="entry", cascade="all, delete-orphan",
                                                    passive_deletes=True, order_by="ScoreRow.scored_at")


class ScoreRow(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("entry_id", "model_version", name="uq_score_entry_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(512), index=True)
    emotion: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    scores: Mapped[dict] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(DateTime)
    entry: Mapped[EntryRow] = relationship(back_populates="scores")


class Score(BaseModel):
    """One model version's verdict on an entry."""

    model_version: str
    emotion: str
    confidence: float
    scores: dict[str, float]
    scored_at: datetime


class Entry(BaseModel):
    """A journal entry with every score it has received (oldest first)."""

    id: int
    text: str
    timestamp: datetime
    crisis: bool
    crisis_matched: list[str]
    explanation: dict[str, Any] | None
    scores: list[Score]

    def score_for(self, model_version: str | None = None) -> Score | None:
        """The score of a model version when there is one, else the most recent score."""
        for score in self.scores:
            if score.model_version == model_version:
                return score
        return self.scores[-1] if self.scores else None


class MoodBucket(BaseModel):
    """Entries of one day or week: how many, which emotions, the mean of each score."""

    start: datetime
    entries: int
    scored: int
    emotions: dict[str, int]
    mean_scores: dict[str, float]
    dominant: str | None


def utc_naive(moment: datetime | None) -> datetime | None:
    """A datetime as naive UTC (how it is stored); naive input is taken to be UTC already."""
    if moment is None or moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # within a day of year 1 or 9999: the nearest representable instant
        return datetime.min if moment.year == 1 else datetime.max


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def engine_url(url: str) -> URL:
    """The parsed URL; a plain ``postgresql://`` uses psycopg 3 (the ``postgres`` extra), not psycopg2."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg") if parsed.drivername == "postgresql" else parsed


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; SQLite gets its directory, WAL, foreign keys and a busy timeout."""
    parsed = engine_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class JournalStore:
    """Repository over the journal tables. Thread-safe: each call uses its own session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def ping(self) -> None:
        """Raise when the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()

    # entries -----------------------------------------------------------------------------------
    def add_entry(self, user_id: str, text_: str, timestamp: datetime | None = None, crisis: bool = False,
                  crisis_matched: Sequence[str] = ()) -> Entry:
        """Store an entry (before anything else happens to it) and return it."""
        row = EntryRow(user_id=user_id, text=text_, created_at=utc_naive(timestamp) or utc_now(),
                       crisis=crisis, crisis_matched=list(crisis_matched))
        with self._session.begin() as session:
            session.add(row)
            session.flush()
            return _entry(row, [])

    def get_entry(self, user_id: str, entry_id: int) -> Entry | None:
        """The user's entry with its scores, or None (also when it belongs to someone else)."""
        with self._session() as session:
            row = session.scalar(select(EntryRow).options(selectinload(EntryRow.scores))
                                 .where(EntryRow.id == entry_id, EntryRow.user_id == user_id))
            return _entry(row, row.scores) if row else None

    def list_entries(self, user_id: str, start: datetime | None = None, end: datetime | None = None,
                     limit: int = 50, offset: int = 0) -> tuple[list[Entry], int]:
        """A page of the user's entries in [start, end), newest first, and how many there are in all."""
        where = self._range(user_id, start, end)
        with self._session() as session:
            total = session.scalar(select(func.count(EntryRow.id)).where(*where))
            rows = session.scalars(select(EntryRow).options(selectinload(EntryRow.scores)).where(*where)
                                   .order_by(EntryRow.created_at.desc(), EntryRow.id.desc())
                                   .limit(limit).offset(offset)).all()
            return [_entry(row, row.scores) for row in rows], int(total or 0)

    def iter_entries(self, user_id: str, start: datetime | None = None, end: datetime | None = None,
                     chunk: int = 500) -> Iterator[Entry]:
        """All of the user's entries in [start, end), oldest first, read in chunks."""
        where = self._range(user_id, start, end)
        last_id = 0
        while True:
            with self._session() as session:
                rows = session.scalars(select(EntryRow).options(selectinload(EntryRow.scores))
                                       .where(*where, EntryRow.id > last_id).order_by(EntryRow.id)
                                       .limit(chunk)).all()
                entries = [_entry(row, row.scores) for row in rows]
            if not entries:
                return
            yield from sorted(entries, key=lambda e: (e.timestamp, e.id))
            last_id = entries[-1].id

    def delete_entry(self, user_id: str, entry_id: int) -> bool:
        """Delete the user's entry and its scores; False when the user has no such entry."""
        with self._session.begin() as session:
            row = session.scalar(select(EntryRow).where(EntryRow.id == entry_id, EntryRow.user_id == user_id))
            if row is None:
                return False
            session.delete(row)
            return True

    def set_explanation(self, entry_id: int, explanation: dict[str, Any]) -> None:
        with self._session.begin() as session:
            row = session.get(EntryRow, entry_id)
            if row is not None:
                row.explanation = explanation

    # scores ------------------------------------------------------------------------------------
    def add_scores(self, scored: Iterable[tuple[int, Prediction]]) -> int:
        """Store predictions for entries; a version that already scored an entry is left alone.

        Returns how many rows were inserted. One transaction: all or nothing.
        """
        now = utc_now()
        rows = [{"entry_id": entry_id, "model_version": p.model_version, "emotion": p.emotion,
                 "confidence": p.confidence, "scores": dict(p.scores), "scored_at": now}
                for entry_id, p in scored]
        if not rows:
            return 0
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(self.engine.dialect.name)
        with self._session.begin() as session:
            if insert is not None:
                statement = insert(ScoreRow).on_conflict_do_nothing(
                    index_elements=["entry_id", "model_version"]).returning(ScoreRow.id)
                return len(session.connection().execute(statement, rows).all())
            inserted = 0  # other databases: check first (the unique constraint still guards)
            for row in rows:
                if not session.scalar(select(exists().where(ScoreRow.entry_id == row["entry_id"],
                                                            ScoreRow.model_version == row["model_version"]))):
                    session.add(ScoreRow(**row))
                    inserted += 1
            return inserted

    def unscored(self, model_version: str, after_id: int = 0, limit: int = 64,
                 since: datetime | None = None) -> list[tuple[int, str]]:
        """(id, text) of entries, by id after `after_id`, that this model version has not scored."""
        with self._session() as session:
            rows = session.execute(select(EntryRow.id, EntryRow.text)
                                   .where(*self._unscored_where(model_version, since), EntryRow.id > after_id)
                                   .order_by(EntryRow.id).limit(limit)).all()
            return [(row.id, row.text) for row in rows]

    def count_unscored(self, model_version: str, since: datetime | None = None) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.count(EntryRow.id))
                                      .where(*self._unscored_where(model_version, since))) or 0)

    def count_scores(self, model_version: str | None = None) -> int:
        query = select(func.count(ScoreRow.id))
        if model_version is not None:
            query = query.where(ScoreRow.model_version == model_version)
        with self._session() as session:
            return int(session.scalar(query) or 0)

    # summaries ---------------------------------------------------------------------------------
    def mood_summary(self, user_id: str, period: Period, model_version: str | None = None,
                     start: datetime | None = None, end: datetime | None = None) -> list[MoodBucket]:
        """Per day or ISO week (Monday start, UTC): entry counts, emotion counts and mean scores."""
        buckets: dict[datetime, list[Entry]] = {}
        for entry in self.iter_entries(user_id, start, end):
            day = entry.timestamp.replace(hour=0, minute=0, second=0, microsecond=0)
            key = day - timedelta(days=day.weekday()) if period == "week" else day
            buckets.setdefault(key, []).append(entry)
        return [_bucket(key, entries, model_version) for key, entries in sorted(buckets.items())]

    # helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _range(user_id: str, start: datetime | None, end: datetime | None) -> list:
        where = [EntryRow.user_id == user_id]
        if start is not None:
            where.append(EntryRow.created_at >= utc_naive(start))
        if end is not None:
            where.append(EntryRow.created_at < utc_naive(end))
        return where

    @staticmethod
    def _unscored_where(model_version: str, since: datetime | None) -> list:
        scored = exists().where(ScoreRow.entry_id == EntryRow.id, ScoreRow.model_version == model_version)
        where = [~scored]
        if since is not None:
            where.append(EntryRow.created_at >= utc_naive(since))
        return where


def _entry(row: EntryRow, scores: Sequence[ScoreRow]) -> Entry:
    return Entry(id=row.id, text=row.text, timestamp=_aware(row.created_at), crisis=row.crisis,
                 crisis_matched=list(row.crisis_matched or []), explanation=row.explanation,
                 scores=[Score(model_version=s.model_version, emotion=s.emotion, confidence=s.confidence,
                               scores=s.scores, scored_at=_aware(s.scored_at)) for s in scores])


def _bucket(start: datetime, entries: list[Entry], model_version: str | None) -> MoodBucket:
    scores = [s for s in (e.score_for(model_version) for e in entries) if s is not None]
    counts = {label: sum(s.emotion == label for s in scores) for label in EMOTIONS}
    means = {label: (sum(s.scores.get(label, 0.0) for s in scores) / len(scores) if scores else 0.0)
             for label in EMOTIONS}
    dominant = max(counts, key=counts.__getitem__) if scores else None
    return MoodBucket(start=start, entries=len(entries), scored=len(scores), emotions=counts,
                      mean_scores=means, dominant=dominant)
