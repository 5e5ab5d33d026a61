"""Ground truth: every scenario is labelled, and every label points at records that exist."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import orjson
import pytest
from simhelpers import Records, read_back, small_config

from garde.simulate import generate
from garde.simulate.scenarios import SCENARIOS


def _labels(hospital: Records) -> list[dict[str, object]]:
    assert hospital.result.label_file is not None
    return [orjson.loads(line) for line in hospital.result.label_file.read_bytes().splitlines()]


def test_every_scenario_is_injected_once(hospital: Records) -> None:
    assert sorted(str(label["scenario"]) for label in _labels(hospital)) == sorted(SCENARIOS)


def test_every_labelled_event_exists_in_the_outputs(hospital: Records) -> None:
    written = {source: {sim_id for sim_id, _ in rows} for source, rows in hospital.by_source.items()}
    for label in _labels(hospital):
        events = label["events"]
        assert isinstance(events, dict)
        assert events, label["scenario"]
        for source, ids in events.items():
            missing = set(ids) - written[source]
            assert not missing, (label["scenario"], source, sorted(missing)[:5])
        assert label["event_count"] == sum(len(v) for v in events.values())


def test_sim_ids_are_unique(hospital: Records) -> None:
    total = sum(len(rows) for rows in hospital.by_source.values())
    assert len(hospital.ids()) == total


def test_labels_have_entities_and_a_time_window(hospital: Records) -> None:
    for label in _labels(hospital):
        entities = label["entities"]
        assert isinstance(entities, dict)
        assert any(entities.values()), label["scenario"]
        start = datetime.fromisoformat(str(label["start"]))
        end = datetime.fromisoformat(str(label["end"]))
        assert start <= end
        assert label["demo"] is True
        assert label["mitre_attack"]


def test_label_window_covers_its_windows_events(hospital: Records) -> None:
    by_id = {rec["labels"]["garde_sim_id"]: rec for rec in hospital.json("sysmon") + hospital.json("winsec")}
    for label in _labels(hospital):
        events = label["events"]
        assert isinstance(events, dict)
        start, end = str(label["start"]), str(label["end"])
        for source in ("sysmon", "winsec"):
            for sim_id in events.get(source, []):
                stamp = by_id[sim_id]["@timestamp"][:23]
                assert start[:23] <= stamp <= end[:23] or stamp[:19] == end[:19], (label["scenario"], sim_id)


def test_ids_follow_file_order_and_hide_generation_order(hospital: Records) -> None:
    for source, paths in hospital.result.files.items():
        position = 0
        previous_day = ""
        for sim_id, rec in hospital.by_source[source]:
            _code, day, number = sim_id.split("-")
            assert number.isdigit(), sim_id  # no provisional id left behind
            if day != previous_day:
                previous_day, position = day, 0
            position += 1
            assert int(number) == position, (source, sim_id)
            if source in ("winsec", "winsys", "sysmon"):
                assert rec["winlog"]["record_id"] == str(position)
        assert paths
    for label in _labels(hospital):
        for ids in label["events"].values():  # type: ignore[union-attr]
            assert all(i.split("-")[2].isdigit() for i in ids)


@pytest.mark.parametrize(
    ("seed", "staff", "start"), [(1, 10, "2026-10-25"), (2, 13, "2027-01-01"), (3, 33, "2026-03-29")]
)
def test_labels_hold_for_tiny_hospitals_and_odd_days(tmp_path: Path, seed: int, staff: int, start: str) -> None:
    """Ten staff, summer-time changes, New Year's Eve: every scenario still lands and is labelled."""
    result = generate(small_config(tmp_path, seed=seed, staff=staff, days=1, start=date.fromisoformat(start)))
    records = read_back(result)
    written = {source: {i for i, _ in rows} for source, rows in records.by_source.items()}
    labels = _labels(records)
    assert sorted(str(label["scenario"]) for label in labels) == sorted(SCENARIOS)
    for label in labels:
        for source, ids in label["events"].items():  # type: ignore[union-attr]
            assert set(ids) <= written[source], label["scenario"]
