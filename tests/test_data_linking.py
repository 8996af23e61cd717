"""Survey answers linked to the interactions they rate; the others kept apart and counted."""

import pandas as pd
import pytest

from qoswb.data.linking import link_surveys
from qoswb.errors import DataError

TICKETS = pd.DataFrame({"id": ["T1", "T2", "T3"], "team": ["Billing", "Returns", "Billing"]})


def test_linked_answers_get_the_team_of_the_interaction_they_rate():
    answers = pd.DataFrame({"id": ["T3", "T9", "T1", "T1"], "csat": [5, 4, 2, 1]})
    linked, unmatched = link_surveys(answers, TICKETS)
    assert linked["id"].tolist() == ["T3", "T1", "T1"]
    assert linked["team"].tolist() == ["Billing", "Billing", "Billing"]
    assert linked["csat"].tolist() == [5, 2, 1]
    assert unmatched.equals(answers.iloc[[1]])  # unchanged: same columns, values and index
    assert len(linked) + len(unmatched) == len(answers)


def test_a_team_the_answers_already_carry_is_kept_where_given():
    answers = pd.DataFrame({"id": ["T2", "nope", "T3"], "team": ["Survey team", "X", None]})
    linked, unmatched = link_surveys(answers, TICKETS)
    assert linked["team"].tolist() == ["Survey team", "Billing"]
    assert unmatched.equals(answers.iloc[[1]])


def test_ids_match_as_text_and_missing_ids_never_match():
    tickets = pd.DataFrame({"id": [7, 8], "team": ["A", "B"]})
    answers = pd.DataFrame({"id": pd.array(["8", None, "7"], dtype="string")})
    linked, unmatched = link_surveys(answers, tickets)
    assert linked["team"].tolist() == ["B", "A"]
    assert len(unmatched) == 1 and unmatched["id"].isna().all()


def test_no_id_column_is_a_clear_error():
    with pytest.raises(DataError, match="surveys have no 'id' column"):
        link_surveys(pd.DataFrame({"answer": [1]}), TICKETS)


def test_an_id_given_twice_links_to_its_first_interaction_and_a_missing_ticket_id_matches_nothing():
    tickets = pd.DataFrame({"id": ["T1", None, "T1"], "team": ["First", "No id", "Second"]})
    answers = pd.DataFrame({"id": ["T1", None]})
    linked, unmatched = link_surveys(answers, tickets)
    assert linked["team"].tolist() == ["First"]
    assert len(unmatched) == 1 and unmatched["id"].isna().all()


def test_answers_rating_a_rejected_interaction_are_told_from_answers_rating_none():
    from qoswb.data.linking import rating_rejected

    rejected = pd.DataFrame({"mapped_id": pd.Series([5, None], dtype=object)})  # ids as text: 5 is "5"
    said = rating_rejected(pd.DataFrame({"id": ["5", "6", None]}, index=[10, 11, 12]), rejected)
    assert said.tolist() == [True, False, False] and said.index.tolist() == [10, 11, 12]
