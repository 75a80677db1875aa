"""/figures, its downloads and GET /api/v1/figures: the same numbers, public, bad input
refused naming the field."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pytest

from engine.clock import FixedClock
from engine.db import SessionFactory
from tests.http_checks import API, problem
from tests.integration.test_figures import Cases, build_history

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def history(session_factory: SessionFactory, clock: FixedClock) -> Cases:
    return build_history(session_factory, clock)


TOTAL_2026 = {
    "applications": 3,
    "threshold_not_met": 1,
    "reviews": 2,
    "reviews_with_recommendations": 1,
}


def test_the_api_answers_the_fixed_shape(client: TestClient, history: Cases) -> None:
    response = client.get(f"{API}/figures", params={"area": "llr", "year": "2026"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"area", "year", "localities", "total"}
    assert body["area"] == "llr" and body["year"] == 2026
    assert body["total"] == TOTAL_2026
    assert body["localities"]["melton"]["threshold_not_met"] == 1
    assert len(body["localities"]) == 9
    assert all(set(v) == set(TOTAL_2026) for v in body["localities"].values())


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"area": "nowhere", "year": "2026"}, 404, "area"),
        ({"area": "llr", "year": "next"}, 422, "year"),
        ({"area": "llr", "year": "2030"}, 404, "year"),
        ({"area": "llr"}, 422, "year"),
        ({"year": "2026"}, 422, "area"),
        ({"area": "llr", "year": "2026" * 5}, 422, "year"),
        ({"area": "llr", "year": "²⁰²⁶"}, 422, "year"),
        ({"area": "llr", "year": "٢٠٢٦"}, 422, "year"),
    ],
    ids=[
        "unknown_area",
        "not_a_year",
        "future_year",
        "no_year",
        "no_area",
        "too_long",
        "superscript_digits",
        "arabic_indic_digits",
    ],
)
def test_bad_area_or_year_is_a_problem_naming_the_field(
    client: TestClient, params: dict[str, str], status: int, field: str
) -> None:
    body = problem(client.get(f"{API}/figures", params=params), status)
    assert body["field"] == field


def test_the_page_shows_each_locality_the_total_the_notes_and_the_rules(
    client: TestClient, history: Cases
) -> None:
    response = client.get("/figures?year=2026")
    assert response.status_code == 200
    html = response.text
    assert "Case review figures by locality, April 2026 to March 2027" in html
    assert "Total: Leicester, Leicestershire and Rutland" in html
    assert "held at the area&#39;s discretion" in html or "held at the area's discretion" in html
    assert "1 review of an application received in an earlier year" in html
    assert "How we count" in html and "its outcome was sent to the applicant" in html
    assert '<option value="2026" selected>' in html
    assert "/figures.csv?year=2026" in html


def test_the_page_without_a_year_shows_the_last_whole_year(client: TestClient) -> None:
    html = client.get("/figures").text  # the clock says 2 March 2026
    assert "April 2024 to March 2025</caption>" in html
    assert '<option value="2025">April 2025 to March 2026 (so far)</option>' in html


def test_a_bad_year_on_the_page_gets_an_error_summary(client: TestClient) -> None:
    response = client.get("/figures?year=abc")
    assert response.status_code == 422
    assert "There is a problem" in response.text and 'href="#year"' in response.text
    assert "<title>Error:" in response.text


def test_the_csv_and_json_downloads_carry_the_same_numbers(
    client: TestClient, history: Cases
) -> None:
    response = client.get("/figures.csv?year=2026")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:2] == ["Locality", "Applications received"]
    assert rows[-1][:5] == ["Leicester, Leicestershire and Rutland", "3", "1", "2", "1"]
    body = client.get("/figures.json?year=2026").json()
    assert body["total"] == TOTAL_2026 and body["period"] == "April 2026 to March 2027"
    assert body["notes"]["melton"] == []
    assert problem(client.get("/figures.json?year=1"), 422)["field"] == "year"


def test_a_new_application_shows_at_once(client: TestClient, history: Cases) -> None:
    before = client.get(f"{API}/figures?area=llr&year=2026").json()["total"]["applications"]
    history.new("2026-07-01T12:00", locality="charnwood")
    after = client.get(f"{API}/figures?area=llr&year=2026").json()
    assert after["total"]["applications"] == before + 1
    assert after["localities"]["charnwood"]["applications"] == 1
