"""Scoring detections against the labels."""

from __future__ import annotations

from simhelpers import Records

from garde.simulate.score import load_labels, score, sim_ids_in


def test_finds_sim_ids_in_any_text() -> None:
    texts = ['{"labels.garde_sim_id":"sec-20261124-0000042"}', 'x simid="pxy-20261124-0001000" y', "no id here"]
    assert sim_ids_in(texts) == {"sec-20261124-0000042", "pxy-20261124-0001000"}


def test_scores_each_scenario(hospital: Records) -> None:
    assert hospital.result.label_file is not None
    labels = load_labels(hospital.result.label_file)
    spray = next(label for label in labels if label["scenario"] == "password_spray")
    caught = set(spray["events"]["winsec"][:5])
    benign = {sim_id for sim_id, _ in hospital.by_source["dhcp"][:3]}
    results, outside = score(labels, caught | benign)
    by_name = {r.scenario: r for r in results}
    assert by_name["password_spray"].detected == 5
    assert by_name["password_spray"].caught
    assert not by_name["ransomware"].caught
    assert outside == 3
