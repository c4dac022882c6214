"""An independent synthetic region with known truth, written from the data contract's layouts
only: it shares no code and no modelling assumption with `shnor.demo` or
`shnor.simulated_regions`, so that shnor is judged on data it was not built around.

What it assumes instead (on purpose unlike the estimator's binomial-logit model):

- a school's true quality ``q_sy`` is AR(1) across years with persistence ``rho`` (0.5 or 0.8)
  and moves every pupil's primary score on the work's own scale (a shift of the mean, in pupil
  standard deviations, not of the fail odds); schools differ in their pupils' spread too
  (heteroscedastic: sd ``exp(N(0, 0.25²))``), so two schools with the same mean fail at
  different rates;
- marks come from each work's own «3»/«4»/«5» boundaries (ЕГЭ: the test score against the
  package's minimum of that year), so fail shares differ a lot between procedures;
- sizes are lognormal with many tiny schools (cohorts of 1–5 pupils), and the school type
  decides what a school sits: primary only (ВПР grade 4), basic (ВПР 4–8, ОГЭ), full (ВПР,
  ОГЭ, ЕГЭ) and exam-only (ОГЭ and ЕГЭ only); ВПР in grades 5–8 is sampled per school × year,
  and a school sometimes misses a whole year;
- a few schools inflate ВПР (most would-be «2» written as «3» at its lowest score, some weak
  pupils kept at home), journal marks stay honest; a school with no would-be «2» changes
  nothing, so the truth also counts ``inflated_result_count``, the ВПР results of participant
  rows the inflation changed (marks put on the boundary, pupils kept away);
- ВПР arrives mixed: participant rows (with the mark) for most schools, the «Статистика по
  отметкам» school summary (percentages) for one municipality in some years.

Truth (``demo_truth.parquet``, the columns `shnor.evaluation.figures_against_truth` reads), per
school × year: ``true_fail_share`` is what a ministry means by a weak school — the share of its
pupils who would fail the region's standard set of works (every ВПР, ОГЭ and ЕГЭ procedure,
equally weighted) given the school's true mean and spread that year; ``is_true_low`` is that
share among the worst 10% (``ceil(0.1 n)``) of the ``n`` schools with an assessed result that
year; ``is_true_stable_low`` is low in Y−1 and Y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

YEARS = (2022, 2023, 2024)
# Procedures: exam, grade, subject, subject as written, max score, lowest «3», «4», «5», mean
# primary score and its pupil sd at an average school (ЕГЭ: the test score 0–100, «3» = the
# minimum read from the package's table, no «4»/«5»).
PROCEDURES = (
    ("vpr", 4, "russian", "Русский язык", 38, 14, 24, 33, 25.0, 6.5),
    ("vpr", 4, "math", "Математика", 20, 6, 10, 15, 11.5, 3.8),
    ("vpr", 4, "surrounding_world", "Окружающий мир", 32, 8, 18, 26, 20.0, 5.5),
    ("vpr", 5, "russian", "Русский язык", 45, 18, 29, 39, 27.0, 7.5),
    ("vpr", 5, "math", "Математика", 20, 7, 11, 15, 10.5, 3.6),
    ("vpr", 6, "russian", "Русский язык", 51, 22, 33, 44, 31.0, 8.5),
    ("vpr", 6, "math", "Математика", 20, 6, 10, 14, 9.0, 3.4),
    ("vpr", 7, "russian", "Русский язык", 47, 20, 30, 39, 28.0, 8.0),
    ("vpr", 7, "math", "Математика", 19, 6, 10, 15, 8.5, 3.0),
    ("vpr", 8, "russian", "Русский язык", 51, 24, 34, 44, 33.0, 8.0),
    ("vpr", 8, "math", "Математика", 25, 8, 13, 19, 11.0, 3.6),
    ("oge", 9, "russian", "Русский язык", 37, 15, 22, 31, 26.0, 5.0),
    ("oge", 9, "math", "Математика", 31, 8, 15, 22, 14.0, 4.5),
    ("ege", 11, "russian", "Русский язык", 100, 0, 0, 0, 66.0, 15.0),
    ("ege", 11, "math_profile", "Математика (профильная)", 100, 0, 0, 0, 52.0, 17.0),
)
REFERENCE = Path(__file__).resolve().parents[1] / "src" / "shnor" / "reference"
KINDS = ("primary", "basic", "full", "exam_only")
KIND_SHARES = (0.12, 0.25, 0.58, 0.05)
LEVEL_RU = {"primary": "НОШ", "basic": "ООШ", "full": "СОШ", "exam_only": "СОШ"}
# Which procedures each kind of school sits (by grade).
KIND_GRADES = {
    "primary": {4},
    "basic": {4, 5, 6, 7, 8, 9},
    "full": {4, 5, 6, 7, 8, 9, 11},
    "exam_only": {9, 11},
}
MUNICIPALITIES = ("Северный район", "Южный район", "Город Н.", "Озёрный район", "Лесной район")


@dataclass(frozen=True)
class IndependentRegion:
    """Where the region was written and its truth."""

    data_dir: Path
    truth: pd.DataFrame


def generate_independent_region(
    data_dir: Path,
    *,
    seed: int,
    persistence: float,
    school_count: int = 300,
    kind_shares: tuple[float, ...] = KIND_SHARES,
    size_spread: float = 0.95,
    journal_follows: str = "school",
) -> IndependentRegion:
    """Write the raw files of a region (registry, ВПР participants and summaries, ОГЭ, ЕГЭ)
    under `data_dir/raw/` and its truth to `data_dir/demo_truth.parquet`. `kind_shares` (of
    `KINDS`) and `size_spread` (sd of log cohort size) default to a varied region; all full
    schools of one size is the region a pooled raw fail share suits best. The journal mark
    follows the school's level (`journal_follows` "school") or the pupil's own ("pupil")."""
    rng = np.random.default_rng(seed)
    n, years = school_count, len(YEARS)
    kind = rng.choice(len(KINDS), size=n, p=kind_shares)
    muni = rng.integers(0, len(MUNICIPALITIES), n)
    # Pupils per grade: lognormal, many tiny schools; exam-only schools are small centres.
    cohort = np.maximum(1.0, rng.lognormal(math.log(11.0), size_spread, n))
    # True quality (higher = better), AR(1) with the given persistence, sd 1; the mean pupil
    # score shifts by 0.4 pupil sd per unit. Spread of the school's pupils: lognormal.
    quality = np.empty((years, n))
    quality[0] = rng.standard_normal(n)
    for y in range(1, years):
        quality[y] = persistence * quality[y - 1] + math.sqrt(1 - persistence**2) * (
            rng.standard_normal(n)
        )
    shift = 0.4 * quality
    spread = np.exp(rng.normal(0.0, 0.25, n))
    inflating = rng.random(n) < 0.04
    summary_muni = int(rng.integers(0, len(MUNICIPALITIES)))
    sits_year = rng.random((years, n)) > 0.05  # a school misses a whole year now and then
    minimum = _ege_minimums()

    raw = data_dir / "raw"
    codes = np.array([f"oo{seed % 100:02d}{i:04d}" for i in range(n)])
    names = np.array([f"МБОУ «Школа № {i + 1}» ({MUNICIPALITIES[m]})" for i, m in enumerate(muni)])
    _write_registry(raw / "schools", codes, names, muni, kind)

    assessed = np.zeros((years, n), dtype=np.int64)
    changed = np.zeros((years, n), dtype=np.int64)  # results the inflation changed, as listed
    sat_vpr = np.zeros((years, n), dtype=bool)
    for y, year in enumerate(YEARS):
        by_exam: dict[str, list[pd.DataFrame]] = {"vpr": [], "oge": [], "ege": []}
        summaries = []
        for k, (exam, grade, subject, written, top, b3, b4, b5, mean, sd) in enumerate(PROCEDURES):
            sits = sits_year[y] & np.array([grade in KIND_GRADES[KINDS[t]] for t in kind])
            if exam == "vpr" and grade > 4:
                sits &= rng.random(n) < 0.8  # ВПР in grades 5–8: sampled
            size = np.where(sits, rng.poisson(cohort * (0.7 if grade == 11 else 1.0)), 0)
            school = np.repeat(np.arange(n), size)
            deviation = rng.normal(0.0, 0.15, n)  # the school's own year in this work
            ability = shift[y, school] + deviation[school]
            pupil = ability + spread[school] * rng.standard_normal(len(school))
            score = mean + sd * pupil
            score = np.clip(np.round(score), 0, top).astype(int)
            if exam == "ege":
                fail_below = minimum[(year, subject)]
                mark = np.where(score < fail_below, 2, 3)
            else:
                mark = 2 + (score >= b3) + (score >= b4) + (score >= b5)
            present = rng.random(len(school)) > 0.05
            if exam == "vpr":
                cheats = inflating[school]
                weak = cheats & (mark == 2)
                hidden = weak & (rng.random(len(school)) < 0.25)
                lifted = weak & ~hidden & (rng.random(len(school)) < 0.8)
                score = np.where(lifted, b3, score)
                mark = np.where(lifted, 3, mark)
                present &= ~hidden
                listed = ~((muni[school] == summary_muni) & (y != 1))  # not a summary row
                np.add.at(changed[y], school[(lifted | hidden) & listed], 1)
                level = pupil if journal_follows == "pupil" else ability
                journal = np.clip(
                    np.round(3.6 + 0.8 * level + rng.normal(0, 0.7, len(school))), 2, 5
                )
            np.add.at(assessed[y], school[present], 1)
            if exam == "vpr":
                sat_vpr[y, school[present]] = True
            frame = pd.DataFrame(
                {
                    "school": school,
                    "pupil": [f"{year}{k:02d}{i:05d}" for i in range(len(school))],
                    "score": score,
                    "mark": mark,
                    "present": present,
                }
            )
            if exam == "vpr":
                frame["journal"] = journal.astype(int)
                frame["grade"] = grade
                frame["subject"] = written
                as_summary = (muni[frame["school"]] == summary_muni) & (y != 1)
                summaries.append((grade, written, frame[as_summary & frame["present"]]))
                frame = frame[~as_summary]
            else:
                frame["subject"] = written
            by_exam[exam].append(frame)
        _write_vpr(raw / "vpr" / str(year), pd.concat(by_exam["vpr"]), codes, names, muni)
        for grade, written, frame in summaries:
            _write_vpr_summary(
                raw / "vpr" / str(year), year, grade, written, frame, codes, names, muni
            )
        _write_exam(raw / "oge" / str(year), "oge", pd.concat(by_exam["oge"]), codes, muni)
        _write_exam(raw / "ege" / str(year), "ege", pd.concat(by_exam["ege"]), codes, muni)

    truth = _truth(codes, shift, spread, inflating & sat_vpr, assessed, minimum, changed)
    truth.to_parquet(data_dir / "demo_truth.parquet", index=False)
    return IndependentRegion(data_dir=data_dir, truth=truth)


def _ege_minimums() -> dict[tuple[int, str], int]:
    """The ЕГЭ minimum test score per year × subject, from the package's shipped table."""
    table = pd.read_csv(REFERENCE / "ege_min_scores.csv")
    return {(int(r.exam_year), r.subject): int(r.min_test_score) for r in table.itertuples()}


def _true_fail_share(shift: np.ndarray, spread: np.ndarray, year: int, minimum) -> np.ndarray:
    """Share of a school's pupils failing the standard set of works (all procedures equally
    weighted), from its true mean shift and spread; no sampling, no inflation."""
    shares = []
    for exam, _, subject, _, _, b3, _, _, mean, sd in PROCEDURES:
        cut = minimum[(year, subject)] if exam == "ege" else b3
        # a rounded score below the cut: the continuous score below cut − 0.5
        shares.append(ndtr((cut - 0.5 - mean - sd * shift) / (sd * spread)))
    return np.mean(shares, axis=0)


def _truth(codes, shift, spread, inflated, assessed, minimum, changed) -> pd.DataFrame:
    """One row per school × year: the true fail share and the worst-10% truth."""
    frames, low = [], np.zeros(assessed.shape, dtype=bool)
    for y, year in enumerate(YEARS):
        share = _true_fail_share(shift[y], spread, year, minimum)
        seen = np.flatnonzero(assessed[y] > 0)
        worst = seen[np.argsort(-share[seen], kind="stable")[: math.ceil(0.1 * len(seen))]]
        low[y, worst] = True
        frames.append(
            pd.DataFrame(
                {
                    "school_id": codes,
                    "exam_year": year,
                    "true_fail_share": share,
                    "is_true_low": low[y],
                    "is_true_stable_low": low[y] & (low[y - 1] if y else False),
                    "is_true_resilient": False,
                    "is_inflated_vpr": inflated[y],
                    "inflated_result_count": np.where(inflated[y], changed[y], 0),
                    "assessed_participant_count": assessed[y],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _write_registry(folder: Path, codes, names, muni, kind) -> None:
    """The registry: code, name, municipality, level."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "Код ОО": codes,
            "Полное наименование": names,
            "Муниципалитет": np.array(MUNICIPALITIES)[muni],
            "Уровень": [LEVEL_RU[KINDS[t]] for t in kind],
        }
    ).to_csv(folder / "реестр.csv", sep=";", index=False)


def _write_vpr(folder: Path, frame: pd.DataFrame, codes, names, muni) -> None:
    """ВПР participant rows (layout a), one file per grade; absent pupils have no mark."""
    folder.mkdir(parents=True, exist_ok=True)
    for grade, rows in frame.groupby("grade"):
        school = rows["school"].to_numpy()
        pd.DataFrame(
            {
                "Код ОО": codes[school],
                "Муниципалитет": np.array(MUNICIPALITIES)[muni[school]],
                "Название ОО": names[school],
                "Класс": [f"{grade}А"] * len(rows),
                "Предмет": rows["subject"].to_numpy(),
                "Код участника": rows["pupil"].to_numpy(),
                "Первичный балл": np.where(rows["present"], rows["score"], None),
                "Отметка": np.where(rows["present"], rows["mark"].astype(str), "отсутствовал"),
                "Отметка по журналу": rows["journal"].to_numpy(),
            }
        ).to_csv(folder / f"ВПР {grade} класс.csv", sep=";", index=False)


def _write_vpr_summary(folder: Path, year, grade, written, frame, codes, names, muni) -> None:
    """«Статистика по отметкам»: title lines, then percentages of each mark per school."""
    if frame.empty:
        return
    counts = pd.crosstab(frame["school"], frame["mark"]).reindex(columns=[2, 3, 4, 5], fill_value=0)
    total = counts.sum(axis=1)
    percent = counts.div(total, axis=0).mul(100).round(2)
    school = counts.index.to_numpy()
    lines = ["Статистика по отметкам", f"Предмет: {written}", f"Класс: {grade}", f"ВПР {year}", ""]
    lines.append(
        ";".join(["ОО", "Название ОО", "Муниципалитет", "Кол-во участников", "2", "3", "4", "5"])
    )
    for i, s in enumerate(school):
        cells = [codes[s], names[s], MUNICIPALITIES[muni[s]], str(int(total.iloc[i]))]
        cells += [f"{v:.2f}".replace(".", ",") for v in percent.iloc[i]]
        lines.append(";".join(cells))
    path = folder / f"Статистика {grade} {written}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_exam(folder: Path, exam: str, frame: pd.DataFrame, codes, muni) -> None:
    """ОГЭ/ЕГЭ participant rows (РЦОИ layout), main period; absent pupils are not listed."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = frame[frame["present"]]
    school = rows["school"].to_numpy()
    table = {
        "Код ОУ": codes[school],
        "Муниципалитет": np.array(MUNICIPALITIES)[muni[school]],
        "Предмет": rows["subject"].to_numpy(),
        "Код участника": rows["pupil"].to_numpy(),
        "Этап": "основной",
    }
    if exam == "ege":
        table["Балл"] = rows["score"].to_numpy()
    else:
        table["Первичный балл"] = rows["score"].to_numpy()
        table["Оценка"] = rows["mark"].to_numpy()
    pd.DataFrame(table).to_csv(folder / f"{exam}.csv", sep=";", index=False)
