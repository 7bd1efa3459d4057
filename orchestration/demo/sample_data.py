"""Deterministic generator of the sample sources (docs/domain.md) as SQLite files.

One SQLite file per source system (`denodo.sqlite`, `subventions.sqlite`, `sport.sqlite`),
holding the tables the ingestion registry declares. The data is dirty on purpose: trailing
spaces, mixed-case codes, late-arriving payments, duplicated payment rows and NULLs in
non-key columns, so that the staging models have real work to do.

`scale` multiplies the fact tables (1 = a demo in seconds; 1000 = millions of rows).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orchestration.platform.partitions import HISTORY_START

SAMPLE_START = HISTORY_START  # the sample covers the platform's first days
SAMPLE_DAYS = 90

# Declared column types are what the SQLite extractor maps to Arrow types.
SCHEMAS: dict[str, dict[str, dict[str, str]]] = {
    "denodo": {
        "bv_commune": {
            "code_nis": "TEXT",
            "nom_commune": "TEXT",
            "arrondissement": "TEXT",
            "code_province": "TEXT",
            "region": "TEXT",
            "population": "INTEGER",
        },
        "bv_etablissement": {
            "code_fase": "INTEGER",
            "nom_etablissement": "TEXT",
            "reseau": "TEXT",
            "niveau": "TEXT",
            "code_nis_commune": "TEXT",
            "date_ouverture": "DATE",
            "date_fermeture": "DATE",
            "updated_at": "TIMESTAMPTZ",
        },
    },
    "subventions": {
        "operateur": {
            "id_operateur": "INTEGER",
            "nom_operateur": "TEXT",
            "secteur": "TEXT",
            "code_nis_commune": "TEXT",
            "updated_at": "TIMESTAMPTZ",
            "courriel_contact": "TEXT",  # personal: a person's address (policy: drop)
        },
        "demande": {
            "id_demande": "INTEGER",
            "id_operateur": "INTEGER",
            "montant_demande": "NUMERIC(12,2)",
            "soumise_le": "TIMESTAMPTZ",
            "statut": "TEXT",
            "updated_at": "TIMESTAMPTZ",
        },
        "paiement": {
            "id_paiement": "INTEGER",
            "id_demande": "INTEGER",
            "montant": "NUMERIC(12,2)",
            "paye_le": "DATE",
            "updated_at": "TIMESTAMPTZ",
        },
    },
    "sport": {
        "club": {
            "id_club": "INTEGER",
            "nom_club": "TEXT",
            "federation": "TEXT",
            "code_nis_commune": "TEXT",
        },
        # not in the shipped ingestion registry: the README's analyst guide lands it
        "federation": {
            "federation": "TEXT",
            "discipline": "TEXT",
            "olympique": "BOOLEAN",
            "fondee_en": "INTEGER",
        },
        "affiliation": {
            "id_affiliation": "INTEGER",
            "id_club": "INTEGER",
            "saison": "TEXT",
            "annee_naissance": "INTEGER",
            "genre": "TEXT",
            "affilie_le": "DATE",
            # personal, generated (never real): the member's national register number, name and
            # birth date (policies: pseudonymise, drop, generalise to the year)
            "numero_national": "TEXT",
            "nom_affilie": "TEXT",
            "date_naissance": "DATE",
        },
    },
    # a department not on the platform yet: the README's guide "add a department" brings it in
    "jeunesse": {
        "centre": {
            "id_centre": "INTEGER",
            "nom_centre": "TEXT",
            "code_nis_commune": "TEXT",
            "places": "INTEGER",
            "ouvert_le": "DATE",
        },
    },
}

# (NIS code, name, arrondissement, province code, population): real communes, rounded figures.
COMMUNES = [
    ("21004", "Bruxelles", "Bruxelles-Capitale", "BRU", 196_828),
    ("21009", "Ixelles", "Bruxelles-Capitale", "BRU", 87_632),
    ("21015", "Schaerbeek", "Bruxelles-Capitale", "BRU", 133_042),
    ("25005", "Braine-l'Alleud", "Nivelles", "WBR", 40_419),
    ("25072", "Nivelles", "Nivelles", "WBR", 28_521),
    ("25112", "Wavre", "Nivelles", "WBR", 34_722),
    ("25121", "Ottignies-Louvain-la-Neuve", "Nivelles", "WBR", 31_920),
    ("52011", "Charleroi", "Charleroi", "WHT", 201_816),
    ("53053", "Mons", "Mons", "WHT", 95_574),
    ("57081", "Tournai", "Tournai-Mouscron", "WHT", 69_554),
    ("57096", "Mouscron", "Tournai-Mouscron", "WHT", 59_152),
    ("55022", "La Louvière", "Soignies", "WHT", 80_837),
    ("62063", "Liège", "Liège", "WLG", 195_278),
    ("62096", "Seraing", "Liège", "WLG", 64_270),
    ("63079", "Verviers", "Verviers", "WLG", 55_198),
    ("61031", "Huy", "Huy", "WLG", 21_302),
    ("64074", "Waremme", "Waremme", "WLG", 15_298),
    ("81001", "Arlon", "Arlon", "WLX", 30_539),
    ("83012", "Durbuy", "Marche-en-Famenne", "WLX", 11_682),
    ("83034", "Marche-en-Famenne", "Marche-en-Famenne", "WLX", 17_886),
    ("84010", "Bouillon", "Neufchâteau", "WLX", 5_496),
    ("85011", "Chimay", "Thuin", "WHT", 9_857),
    ("92094", "Namur", "Namur", "WNA", 112_821),
    ("91034", "Dinant", "Dinant", "WNA", 13_651),
    ("93056", "Philippeville", "Philippeville", "WNA", 9_329),
    ("92035", "Gembloux", "Namur", "WNA", 26_507),
]
REGIONS = {
    "BRU": "Bruxelles-Capitale",
    "WBR": "Wallonie",
    "WHT": "Wallonie",
    "WLG": "Wallonie",
    "WLX": "Wallonie",
    "WNA": "Wallonie",
}
SECTORS = ["THEATRE", "MUSIQUE", "DANSE", "ARTS_PLASTIQUES", "LECTURE_PUBLIQUE", "CINEMA"]
NETWORKS = ["WBE", "OS", "LS"]
LEVELS = ["FONDAMENTAL", "SECONDAIRE", "SPECIALISE"]
FEDERATIONS = ["AWBB basket", "ACFF football", "LFH hockey", "FFBT tennis de table", "LBFA athletisme"]
# (federation as clubs name it, discipline, olympic discipline, year founded)
FEDERATION_ROWS = [
    ("AWBB basket", "basket", True, 1922),
    ("ACFF football", "football", True, 1895),
    ("LFH hockey", "hockey", True, 1907),
    ("FFBT tennis de table", "tennis de table", True, 1937),
    ("LBFA athletisme", "athletisme", True, 1889),
    ("FWB petanque", "petanque", False, 1976),
]
GUIDE_TABLES = {("sport", "federation"), ("jeunesse", "centre")}  # landed by following the README guides
SEASONS = ["2024-2025", "2025-2026"]
STATUSES = ["soumise", "acceptee", "refusee"]


@dataclass(frozen=True)
class SampleSpec:
    """What to generate: same spec, same bytes."""

    scale: float = 1.0
    seed: int = 42
    start: date = SAMPLE_START
    days: int = SAMPLE_DAYS

    def count(self, base: int) -> int:
        return max(1, round(base * self.scale))


def dirty(rng: random.Random, text: str) -> str:
    """Return `text` as a careless application would store it, now and then."""
    roll = rng.random()
    if roll < 0.05:
        return text + "  "
    if roll < 0.10:
        return text.lower()
    return text


def _timestamp(day: date, rng: random.Random) -> str:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=rng.randrange(8 * 3600, 18 * 3600))
    return moment.isoformat(sep=" ")


def generate_rows(spec: SampleSpec) -> dict[str, dict[str, list[tuple]]]:
    """All rows of all tables, by system then table, in column order of SCHEMAS."""
    rng = random.Random(spec.seed)
    last_day = spec.days - 1

    def day(offset: int) -> date:
        return spec.start + timedelta(days=min(max(offset, 0), last_day))

    communes = []
    for nis, name, arrondissement, province, population in COMMUNES:
        communes.append(
            (
                nis + ("  " if rng.random() < 0.1 else ""),
                name,
                arrondissement,
                province.lower() if rng.random() < 0.2 else province,
                REGIONS[province],
                None if rng.random() < 0.05 else population,
            )
        )
    nis_codes = [c[0] for c in COMMUNES]

    schools = []
    for i in range(spec.count(300)):
        opened = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 27_000))
        closed = None
        if rng.random() < 0.1:
            closed = opened + timedelta(days=rng.randrange(365, 20_000))
            closed = min(closed, spec.start + timedelta(days=rng.randrange(0, spec.days)))
        schools.append(
            (
                1000 + i,
                dirty(rng, f"Ecole {i + 1}"),
                dirty(rng, rng.choice(NETWORKS)),
                dirty(rng, rng.choice(LEVELS)),
                rng.choice(nis_codes),
                opened,
                closed,
                _timestamp(day(0 if rng.random() < 0.8 else rng.randrange(spec.days)), rng),
            )
        )

    operators = []
    for i in range(spec.count(200)):
        operators.append(
            (
                i + 1,
                dirty(rng, f"Operateur culturel {i + 1}"),
                None if rng.random() < 0.02 else dirty(rng, rng.choice(SECTORS)),
                rng.choice(nis_codes),
                _timestamp(day(0 if rng.random() < 0.9 else rng.randrange(spec.days)), rng),
            )
        )

    requests, payments = [], []
    for i in range(spec.count(1500)):
        submitted = day(rng.randrange(spec.days))
        amount = Decimal(rng.randrange(50_000, 5_000_000)) / 100
        status = rng.choices(STATUSES, weights=[3, 5, 2])[0]
        requests.append(
            (
                i + 1,
                rng.randrange(1, len(operators) + 1),
                amount,
                _timestamp(submitted, rng),
                status,
                # updated before any payment is made, so a request lands no later than its payments
                _timestamp(day((submitted - spec.start).days + rng.randrange(0, 2)), rng),
            )
        )
        if status != "acceptee":
            continue
        for _ in range(rng.choice([1, 1, 2, 3])):
            paid_offset = (submitted - spec.start).days + rng.randrange(2, 30)
            if paid_offset > last_day:
                continue
            paid = day(paid_offset)
            late = rng.randrange(1, 6) if rng.random() < 0.05 else 0
            row = (
                len(payments) + 1,
                i + 1,
                (amount / rng.choice([1, 2, 4])).quantize(Decimal("0.01")),
                paid,
                _timestamp(day((paid - spec.start).days + late), rng),
            )
            payments.append(row)
            if rng.random() < 0.01:  # legacy app without a primary key: exact duplicates
                payments.append(row)

    clubs = []
    for i in range(spec.count(150)):
        clubs.append(
            (
                i + 1,
                dirty(rng, f"Club {i + 1}"),
                rng.choice(FEDERATIONS),
                rng.choice(nis_codes),
            )
        )

    affiliations = []
    for i in range(spec.count(6000)):
        affiliations.append(
            (
                i + 1,
                rng.randrange(1, len(clubs) + 1),
                rng.choice(SEASONS),
                None if rng.random() < 0.01 else rng.randrange(1940, 2021),
                dirty(rng, rng.choices(["F", "M", "X"], weights=[45, 53, 2])[0]),
                day(rng.randrange(spec.days)),
            )
        )

    people = random.Random(spec.seed + 2)  # its own draws: every other value stays as it was
    operators = [(*row, contact_email(people)) for row in operators]
    affiliations = [(*row, *member(people, row[3])) for row in affiliations]

    youth = random.Random(spec.seed + 1)  # its own draws: the other systems' rows stay as they were
    centres = [
        (
            number,
            f"Centre de jeunes {number}",
            youth.choice(COMMUNES)[0],
            youth.randrange(20, 201),
            date(1990, 1, 1) + timedelta(days=youth.randrange(12_000)),
        )
        for number in range(1, max(2, round(40 * spec.scale)) + 1)
    ]

    return {
        "jeunesse": {"centre": centres},
        "denodo": {"bv_commune": communes, "bv_etablissement": schools},
        "subventions": {"operateur": operators, "demande": requests, "paiement": payments},
        "sport": {"club": clubs, "federation": FEDERATION_ROWS, "affiliation": affiliations},
    }


FIRST_NAMES = (
    "Amina",
    "Lucas",
    "Emma",
    "Noah",
    "Louise",
    "Mohamed",
    "Léa",
    "Arthur",
    "Inès",
    "Jules",
    "Yasmine",
    "Victor",
)
LAST_NAMES = ("Peeters", "Janssens", "Dubois", "Lambert", "El Amrani", "Martin", "Dupont", "Claes", "Renard", "Yilmaz")


def member(rng: random.Random, birth_year: int | None) -> tuple[str, str, date | None]:
    """A member's generated national register number, name and birth date (in `birth_year`;
    unknown with it). Of the same few people per birth year, so one member has several
    affiliations: their pseudonym joins them."""
    year = birth_year or 1980
    who = rng.randrange(25)  # one of 25 people born that year
    born = date(year, 1, 1) + timedelta(days=(who * 37) % 365)
    serial = 1 + who * 2
    base = int(f"{born:%y%m%d}{serial:03d}")
    check = 97 - ((base + 2_000_000_000) % 97 if year >= 2000 else base % 97)
    number = f"{born:%y.%m.%d}-{serial:03d}.{check:02d}"
    name = f"{FIRST_NAMES[(who + year) % len(FIRST_NAMES)]} {LAST_NAMES[(who * 3 + year) % len(LAST_NAMES)]}"
    return number, name, born if birth_year else None


def contact_email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first}.{last}@operateur.example".lower().replace(" ", "").replace("è", "e").replace("é", "e")


def _sqlite_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def generate(directory: Path, spec: SampleSpec = SampleSpec()) -> dict[str, Path]:
    """Write one SQLite file per system into `directory`; return their paths by system."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for system, tables in generate_rows(spec).items():
        path = directory / f"{system}.sqlite"
        partial = path.with_suffix(".sqlite.partial")
        partial.unlink(missing_ok=True)
        with sqlite3.connect(partial) as connection:
            for table, rows in tables.items():
                columns = SCHEMAS[system][table]
                ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
                connection.execute(f'create table "{table}" ({ddl})')
                marks = ", ".join("?" for _ in columns)
                connection.executemany(
                    f'insert into "{table}" values ({marks})',
                    ([_sqlite_value(v) for v in row] for row in rows),
                )
        connection.close()
        partial.replace(path)  # a reader never sees a half-written source
        paths[system] = path
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    for system, path in generate(args.directory, SampleSpec(args.scale, args.seed)).items():
        print(f"{system}: {path}")


if __name__ == "__main__":
    main()


# --- the same sample in real servers (integration tests, CI sources, benchmarks) ---

SERVER_TYPES = {
    "postgres": {"INTEGER": "bigint", "TEXT": "text", "DATE": "date", "TIMESTAMPTZ": "timestamptz"},
    "mysql": {"INTEGER": "bigint", "TEXT": "varchar(255)", "DATE": "date", "TIMESTAMPTZ": "timestamp(6) null"},
}


def server_ddl(engine: str, table: str, columns: dict[str, str]) -> str:
    """CREATE TABLE of a sample table in PostgreSQL or MySQL/MariaDB (same names and types)."""
    quote = "`" if engine == "mysql" else '"'
    types = SERVER_TYPES[engine]
    body = ", ".join(f"{quote}{name}{quote} {types.get(kind, kind.lower())}" for name, kind in columns.items())
    return f"create table {quote}{table}{quote} ({body})"


def load_postgres(connection, system: str, spec: SampleSpec = SampleSpec()) -> None:
    """Create and fill the sample tables of `system` through a psycopg connection (COPY)."""
    for table, rows in generate_rows(spec)[system].items():
        columns = SCHEMAS[system][table]
        connection.execute(server_ddl("postgres", table, columns))
        names = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor().copy(f'copy "{table}" ({names}) from stdin') as copy:
            for row in rows:
                copy.write_row(row)
    connection.commit()


def load_mysql(connection, system: str, spec: SampleSpec = SampleSpec()) -> None:
    """Create and fill the sample tables of `system` through a pymysql connection."""
    with connection.cursor() as cursor:
        cursor.execute("set time_zone = '+00:00'")
        for table, rows in generate_rows(spec)[system].items():
            columns = SCHEMAS[system][table]
            cursor.execute(server_ddl("mysql", table, columns))
            marks = ", ".join("%s" for _ in columns)
            cursor.executemany(
                f"insert into `{table}` values ({marks})",
                [tuple(_mysql_value(v) for v in row) for row in rows],
            )
    connection.commit()


def _mysql_value(value):
    if isinstance(value, str) and value[:4].isdigit() and value.endswith("+00:00"):
        return value[: -len("+00:00")]  # generated UTC timestamps; the session is UTC
    return value
