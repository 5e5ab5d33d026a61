from __future__ import annotations

from garde.core.context import StaffDirectory, StaffList, StaffMember, normalise_login


def test_logins_fold_domain_upn_and_case() -> None:
    assert normalise_login("CHU\\JDupont") == "jdupont"
    assert normalise_login("jdupont@chu-demo.local") == "jdupont"
    assert normalise_login("  JDUPONT ") == "jdupont"


def test_staff_list_finds_members_by_any_spelling_and_lists_them_in_order() -> None:
    staff: StaffDirectory = StaffList(
        [StaffMember("mmartin", role="nurse", department="cardiology"), StaffMember("JDupont", role="physician")]
    )
    found = staff.member("CHU\\jdupont")
    assert found is not None
    assert found.role == "physician"
    assert staff.member("nobody") is None
    assert [m.login for m in staff.members()] == ["JDupont", "mmartin"]


def test_a_later_row_for_the_same_login_replaces_the_earlier() -> None:
    staff = StaffList([StaffMember("jdupont", department="ER"), StaffMember("JDUPONT", department="ICU")])
    assert [m.department for m in staff.members()] == ["ICU"]
