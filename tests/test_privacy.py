"""The privacy guard: it must catch clients' identifiers without nagging about ordinary updates.

A guard that cries wolf gets ignored, and one that misses a mobile number lets a client's details
out to every partner, so the corpus test measures both against realistic partnership messages.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.privacy import WHY_IT_MATTERS, Finding, Kind, explain, scan


def nhs(first_nine: str, sep: str = " ") -> str:
    """A valid NHS number from nine digits, computed independently of the module under test."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    assert check != 10, f"{first_nine} cannot start a valid NHS number"
    digits = first_nine + str(check)
    return sep.join((digits[:3], digits[3:6], digits[6:]))


def invalid_nhs(first_nine: str) -> str:
    """Nine digits followed by a wrong check digit."""
    right = nhs(first_nine, "")
    return right[:9] + str((int(right[9]) + 1) % 10)


def kinds(text: str) -> list[Kind]:
    return [finding.kind for finding in scan(text)]


def years_ago(years: int, extra_days: int = 40) -> date:
    """A birth date that makes someone `years` old today, well clear of their birthday."""
    today = date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)) - timedelta(
        days=extra_days
    )


# --- Unit tests per kind -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["email fatima.k@gmail.com", "j.smith@example.org today", "<m_hassan99@outlook.co.uk>"],
)
def test_personal_emails_are_flagged(text: str) -> None:
    assert kinds(text) == [Kind.EMAIL]


@pytest.mark.parametrize(
    "text",
    [
        "Referrals to info@refugeeaction.org",
        "enquiries@council.gov.uk",
        "admin@x.org, office@y.org, hello@z.org, contact@w.org",
        "Send forms to referrals.glasgow@charity.org.uk",
        "Not an email: @channel or name@ or joe@localhost",
    ],
)
def test_generic_mailboxes_are_not_flagged(text: str) -> None:
    assert scan(text) == []


def test_email_masking_keeps_the_shape() -> None:
    [finding] = scan("write to john@example.org please")
    assert finding == Finding(Kind.EMAIL, "j•••@e•••.org", 9, 25)


@pytest.mark.parametrize(
    "text",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "0141 496 0000",
        "(0141) 496 0000",
        "020 7946 0000",
        "+44 (0)20 7946 0000",
        "01632 960001",
        "Tel:0161 496 0999",
    ],
)
def test_personal_phone_numbers_are_flagged(text: str) -> None:
    assert kinds(text) == [Kind.PHONE]


@pytest.mark.parametrize(
    "text",
    [
        "Call our freephone 0800 123 4567",
        "Helpline 0808 800 5000 is open 24/7",
        "Ring 0300 123 1234 or 0330 088 1234 or 0345 600 4567",
        "Migrant Help 0808 8010 503",
        "In 2026 we raised £1,200 from 40 donors",
        "Doors open 09:30 to 16:00",
        "Ages 10-12 and 13-15",
        "Room 012, then room 0.12",
        "On 01/02/2026 we met",
        "Case count 0 1 2 3 4 5 6 7 8 9",
    ],
)
def test_helplines_and_ordinary_numbers_are_not_phones(text: str) -> None:
    assert scan(text) == []


def test_phone_masking_keeps_first_and_last_digits() -> None:
    assert [f.masked for f in scan("07700 900123 or +44 7700 900123")] == [
        "07••• •••123",
        "+44 7••• •••123",
    ]


@pytest.mark.parametrize(
    "text", ["QQ 12 34 56 C", "AB123456C", "ab 12 34 56 d", "JG 10 37 59 A", "NI no: CE123456B"]
)
def test_ni_numbers_are_flagged(text: str) -> None:
    assert kinds(text) == [Kind.NI_NUMBER]


@pytest.mark.parametrize(
    "text",
    [
        "DA123456A",  # D is never a first letter
        "AO123456A",  # O is never a second letter
        "GB123456A",  # administrative prefixes
        "NK123456B",
        "ZZ123456C",
        "AB123456E",  # suffix is A-D
        "AB1234567C",
    ],
)
def test_impossible_ni_numbers_are_not_flagged(text: str) -> None:
    assert Kind.NI_NUMBER not in kinds(text)


def test_ni_masking() -> None:
    assert scan("QQ 12 34 56 C")[0].masked == "QQ •• •• •• C"


@pytest.mark.parametrize("sep", [" ", "-", ""])
def test_valid_nhs_numbers_are_flagged(sep: str) -> None:
    number = nhs("943476591", sep)
    assert scan(f"NHS {number}") == [
        Finding(Kind.NHS_NUMBER, sep.join(("943", "•••", "••••")), 4, 4 + len(number))
    ]


def test_invalid_nhs_check_digit_is_not_flagged() -> None:
    assert scan(f"NHS {invalid_nhs('943476591')}") == []


def test_nhs_number_whose_check_digit_would_be_ten_is_never_valid() -> None:
    stem = next(
        s
        for s in (f"{n:09d}" for n in range(400000000, 400001000))
        if (11 - sum(int(d) * w for d, w in zip(s, range(10, 1, -1), strict=True)) % 11) == 10
    )
    assert all(scan(stem + str(last)) == [] for last in range(10))


@pytest.mark.parametrize(
    "text",
    [
        "HO ref H1234567",
        "B1234567/2",
        "Home Office reference: K7654321",
        "Home Office ref no. 12345678",
        "HO ref: ABC/123456",
        "UAN 1234-5678-9012-3456",
        "GWF012345678",
    ],
)
def test_home_office_references_are_flagged(text: str) -> None:
    assert kinds(text) == [Kind.HOME_OFFICE_REF]


@pytest.mark.parametrize(
    "text",
    [
        "Section 95 support and Section 4 support",
        "Charity SC012345, company number 12345678",
        "The Home Office reference guide is online",
        "In 2026 at G51 we met",
        "A1 service",
    ],
)
def test_ordinary_text_is_not_a_home_office_reference(text: str) -> None:
    assert Kind.HOME_OFFICE_REF not in kinds(text)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("DOB 03/04/2008", "••/••/2008"),
        ("D.O.B.: 3.4.08", "•.•.08"),
        ("date of birth 12 March 1990", "•• ••••• 1990"),
        ("born on the 12th of March 1990", "•••• •• ••••• 1990"),
        ("Amir (b. 2001-07-15) arrives", "2001-••-••"),
        ("born March 12, 1990", "••••• ••, 1990"),
        ("12/05/2009 (DOB)", "••/••/2009"),
    ],
)
def test_dates_of_birth_are_flagged(text: str, masked: str) -> None:
    assert [(f.kind, f.masked) for f in scan(text)] == [(Kind.DATE_OF_BIRTH, masked)]


def test_a_date_matching_a_stated_age_is_a_date_of_birth() -> None:
    born = years_ago(17)
    assert kinds(f"Young man, {born:%d/%m/%Y}, aged 17, needs a placement") == [Kind.DATE_OF_BIRTH]
    assert kinds(f"Young man, {born:%d/%m/%Y}, aged 40, needs a placement") == []


@pytest.mark.parametrize(
    "text",
    [
        "The training is on 24/11/2026",
        "Funding closes 3 March",
        "Funding closes 12 January 2027",
        "Drop-in for young people aged 16-25 on 10/11/2025",
        "For those aged 18 to 25 from 2025-09-01",
        "Aged 17? Come along on 12/05/2026",
        "Born out of the 2020 lockdown, our project turns five",
        "The client is aged 17",
        "Born in Syria in 1999 and arrived 12/03/2025",
        "DOB unknown; interview on 12/03/2026",
        "He is 17 (DOB not known), arrives 3 March 2026",
        "Eid and birthday party on 12/12/2026",
    ],
)
def test_event_dates_and_ages_are_not_dates_of_birth(text: str) -> None:
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("lives at G42 8XY", "G42 •••"),
        ("SW1A 1AA", "SW1A •••"),
        ("M1 1AE", "M1 •••"),
        ("eh1 3eg", "eh1 •••"),
        ("EH13EG", "EH1•••"),
    ],
)
def test_full_postcodes_are_flagged(text: str, masked: str) -> None:
    assert [(f.kind, f.masked) for f in scan(text)] == [(Kind.POSTCODE, masked)]


@pytest.mark.parametrize(
    "text",
    [
        "She lives in G51",
        "Our office is in the EH1 area",
        "Room B2 3rd floor",
        "ESOL L2 3pm",
        "Y11 2nd term",
        "COVID19 1ST wave",
    ],
)
def test_partial_postcodes_and_lookalikes_are_not_flagged(text: str) -> None:
    assert Kind.POSTCODE not in kinds(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"CHI {nhs('010203040', '')}", Kind.NHS_NUMBER),  # also a ten-digit 01 number
        (f"HO ref no. {nhs('987654321', '')}", Kind.HOME_OFFICE_REF),  # also a valid NHS number
    ],
)
def test_stronger_evidence_wins_when_detectors_claim_the_same_text(text: str, kind: Kind) -> None:
    assert kinds(text) == [kind]


def test_findings_are_ordered_and_do_not_overlap() -> None:
    text = "Ahmed, DOB 03/04/2008, 07700 900123, G42 8XY, NI QQ123456C, a.b@gmail.com"
    assert kinds(text) == [
        Kind.DATE_OF_BIRTH,
        Kind.PHONE,
        Kind.POSTCODE,
        Kind.NI_NUMBER,
        Kind.EMAIL,
    ]


def test_every_kind_is_explained() -> None:
    assert all(explain(kind).endswith(".") for kind in Kind)
    assert len({explain(kind) for kind in Kind}) == len(Kind)
    assert "GDPR" in WHY_IT_MATTERS and "organisations" in WHY_IT_MATTERS


# --- Corpus: false alarms and recall -----------------------------------------------------------

ORDINARY = [
    "We have 3 spaces on Tuesday 24/11 for the ESOL level 2 class.",
    "Funding closes 12 January 2027, so get your bids in early.",
    "Our drop-in runs every Wednesday 10:00-13:00 at the Gorbals Library.",
    "Reminder: the partnership meeting is on 3 March at 2pm.",
    "We can now support people on Section 95 support with travel costs.",
    "Section 4 support claimants are welcome at the food bank.",
    "The 16-25 age group is our biggest cohort this year.",
    "Our new venue is the Community Hall, 14 High Street, Govan.",
    "More details at https://www.refugeecouncil.org.uk/get-support",
    "Migrant Help can be reached on 0808 8010 503 at any time.",
    "Our advice line 0300 123 4567 is open weekdays 9 to 5.",
    "Shelter's free helpline is 0808 800 4444.",
    "Please send referrals to referrals@careleaversnetwork.org.uk.",
    "Questions? Email info@glasgowrefugees.org or enquiries@ourcharity.org.",
    "Training on trauma-informed practice: 24/11/2026, 09:30 to 12:30.",
    "We raised £1,200 at the sponsored walk, thank you all!",
    "We supported 245 young people in 2025, up from 198 in 2024.",
    "The holiday programme is for ages 10-12 and runs for 2 weeks.",
    "The workshop is in Room 3.14 on the 2nd floor.",
    "ESOL entry level 3 starts in January; there are 12 places.",
    "Our winter coat appeal runs from 1 December to 31 January.",
    "The Care Leavers' Covenant event is on 5 February 2027.",
    "We're recruiting volunteer mentors for care leavers aged 18 to 25.",
    "Youth club for young people aged 16-25 on 10/11/2025 was a great success.",
    "Anyone aged 17 or over can join the football sessions.",
    "The Home Office has changed the asylum support rates from April.",
    "Asylum support is now £49.18 per week per person.",
    "Our housing team covers the G51 and G52 areas.",
    "We cover EH1 to EH17 in Edinburgh.",
    "Free legal clinic every second Thursday, 6pm-8pm.",
    "Bus passes are available for 12 weeks after arrival.",
    "Registered charity SC012345, company number SC123456.",
    "Registered charity number 1123456 in England and Wales.",
    "The 2025-26 annual report is now on our website.",
    "Our office is closed from 24 December to 2 January.",
    "We have 20 laptops to give away to students in Year 11.",
    "Room B2 3rd floor is the quiet room during Ramadan.",
    "ESOL L2 3pm class moves to Thursdays.",
    "Our helpline 0345 600 4567 now has Arabic and Tigrinya speakers.",
    "The national number is 0330 088 1234 for general enquiries.",
    "Call the Samaritans free on 116 123 any time.",
    "Emergency? Call 999. Non-emergency police: 101.",
    "NHS 111 can help with urgent health questions.",
    "Kitchen open 12:00-14:00, dinner at 17:30.",
    "Applications for the 2027 intake open on 15/01/2027.",
    "We have 5 places left on the first aid course, 12/12/2026.",
    "The conference is on 2026-12-03 at the City Chambers.",
    "Volunteers' induction: Monday 7th December 2026 at 10am.",
    "Mental health first aid training costs £150 per person.",
    "Our grant from the lottery is £45,000 over 3 years.",
    "We've moved to Unit 4, Templeton Business Centre, Glasgow.",
    "The clinic at 55 Renfield Street is open on Saturdays.",
    "Ask for the duty worker at reception on the ground floor.",
    "Thanks to everyone who came on 18 November, 60 people attended.",
    "Our new guide to the asylum process is in 12 languages.",
    "We can accept referrals for unaccompanied children aged 14-17.",
    "We need 4 volunteers for the Christmas party on 19/12.",
    "Spaces on the 10-week employability course starting 11 January.",
    "Our befriending scheme has matched 37 pairs since 2019.",
    "The foodbank needs tinned tomatoes, rice and nappies (size 4-5).",
    "We're open 9:30-4:30 Monday to Friday.",
    "The deadline for the Scottish Refugee Council small grants is 30/01/2027.",
    "Booking via Eventbrite: https://www.eventbrite.co.uk/e/1234567890",
    "Wifi password is on the noticeboard in room 1.05.",
    "Over 110 partners signed the pledge in 2026.",
    "The bus 38 and 38A stop outside the hall.",
    "Our Twitter is @refugeehelpgla, follow us for updates.",
    "See section 3.2 of the partnership agreement for data sharing.",
    "ESOL for beginners: Pre-entry, Entry 1 and Entry 2 groups.",
    "We can fund up to 50% of travel costs for interviews.",
    "Next steering group: 14:00, 2 December, online via Teams.",
    "Our youth worker is on leave from 21/12/2026 to 04/01/2027.",
    "The move-on service supports care leavers up to age 26.",
    "A reminder that the Pathway Plan review template changed in 2024.",
    "Funding round 3 closes at 5pm on Friday 12 February 2027.",
    "We have capacity for 8 new referrals in December.",
    "The peer support group meets fortnightly, 6-8pm.",
    "Our Arabic-speaking caseworker starts on 1 December.",
    "Free school meals apply to families on Section 95.",
    "Anyone born outside the UK can access our ESOL classes.",
    "Our service was born out of a 2018 community project.",
    "Please use the form at https://forms.office.com/r/AbC123xyz to book.",
    "The council's housing options line is 0300 343 0300, not the old number.",
    "Version 2.1 of the referral form is attached to this message.",
    "About 1 in 3 of our clients are care leavers.",
    "Clothing bank open 11:00-13:00 on 28/11/2026.",
    "The minibus seats 16, plus 2 wheelchair spaces.",
    "Our phone line is down; please email hello@newscots.org instead.",
    "Support for people with No Recourse to Public Funds (NRPF).",
    "The Refugee Festival Scotland runs 15-25 June 2027.",
    "We can offer 6 sessions of counselling per person.",
    "The hub at 120 Main Street, Paisley, is accessible.",
    "Open day at the college on 10 January 2027, 10am-2pm.",
    "Interpreters available in Farsi, Pashto, Kurdish Sorani and Amharic.",
    "The new Leaving Care Allowance is £2,000 from April 2027.",
    "We're sharing our Q3 figures: 312 contacts, 87 new clients.",
    "Match funding of up to £5,000 is available until 31 March 2027.",
    "Evening ESOL runs 18:00-20:00 in rooms 101 and 102.",
    "The training pack covers GDPR, consent and safe information sharing.",
    "Contact our team via office@refugeehub.scot for room bookings.",
    "Call 0800 028 2244 for free debt advice.",
    "Citizens Advice Scotland: 0800 028 1456.",
    "The course is 12 weeks long and 3 hours per week.",
    "Translation of the newsletter into 5 languages is done.",
    "The next intake is for young people aged 16 to 19.",
    "Thanks to partners for 1,500 hours of volunteering this year.",
    "We have moved our meeting to 10:30 on 02/12/2026.",
    "The referral pathway was agreed on 12/10/2026 by all partners.",
    "Remember to complete the survey by 05.12.2026.",
    "The art exhibition opens on 27th November 2026.",
    "We have 2 beds available for care leavers aged 18-21.",
    "Our annual general meeting was held on 14 September 2026.",
    "The app is available on iOS 17 and Android 14.",
    "Our report 'Safe Passage' (2026) is available in print.",
    "All staff completed level 1 safeguarding training in 2026.",
    "The grant reference for our project is 2026/27-04.",
    "Buses every 10-12 minutes from the city centre.",
]


def planted() -> list[tuple[str, Kind]]:
    """Realistic messages that each leak one client identifier, with the kind that should fire."""
    born_17, born_19, born_30 = years_ago(17), years_ago(19, 100), years_ago(30, 200)
    return [
        # Email addresses
        ("email fatima.k@gmail.com if you can help with her housing", Kind.EMAIL),
        ("Ahmed's email is ahmed.hassan1999@hotmail.com", Kind.EMAIL),
        ("Can someone contact m.yusuf@outlook.com about the ESOL place?", Kind.EMAIL),
        ("Her personal email: ruth_okafor@yahoo.co.uk", Kind.EMAIL),
        ("He asked us to use samir.g+college@gmail.com", Kind.EMAIL),
        ("Please write to jane.doe@icloud.com with the offer", Kind.EMAIL),
        ("Contact his social worker sarah.mcdonald@glasgow.gov.uk directly", Kind.EMAIL),
        ("The young person's email is abdi2007@live.co.uk", Kind.EMAIL),
        ("Forwarding from kwame.asante@protonmail.com, he needs a solicitor", Kind.EMAIL),
        ("Send the form to Layla at layla.nouri@btinternet.com", Kind.EMAIL),
        ("Client email (for the grant): Tesfay.Berhe@gmail.com", Kind.EMAIL),
        ("She uses mariam-a@mail.ru for everything", Kind.EMAIL),
        ("Reply to D.Ivanova@outlook.co.uk by Friday", Kind.EMAIL),
        ("Her keyworker is p.singh@barnardos.org.uk", Kind.EMAIL),
        ("email him: omar_h_2006@gmail.com", Kind.EMAIL),
        ("Contact: lina.haddad@student.gla.ac.uk", Kind.EMAIL),
        ("I've cc'd his partner, nadia.r@yahoo.com", Kind.EMAIL),
        # Phone numbers
        ("Can someone call Ahmed on 07700 900123", Kind.PHONE),
        ("Her mobile is 07700900456, she prefers WhatsApp", Kind.PHONE),
        ("Ring his foster carer on 0141 496 0123", Kind.PHONE),
        ("Mobile: +44 7700 900789", Kind.PHONE),
        ("He can be reached on +447700900321 after 6pm", Kind.PHONE),
        ("Landline (0131) 496 0456 is the family home", Kind.PHONE),
        ("Try 020 7946 0018, that's her sister's number", Kind.PHONE),
        ("Please call Fatima back on 07700-900-654", Kind.PHONE),
        ("His number is +44 (0)7700 900111", Kind.PHONE),
        ("Missed call from 0161 496 0777, it was Yonas", Kind.PHONE),
        ("text her on 07911 123456 about the appointment", Kind.PHONE),
        ("Contact number 01632 960123 (home)", Kind.PHONE),
        ("Tel:07700 900888 - he's waiting for a callback", Kind.PHONE),
        ("Her carer's number: 029 2018 0123", Kind.PHONE),
        ("Call Mohammed 07400 123 456 re: the flat", Kind.PHONE),
        ("new number for the family is 0113 496 0000", Kind.PHONE),
        ("She gave 07 700 900 222 as her mobile", Kind.PHONE),
        # National Insurance numbers
        ("her NI is QQ 12 34 56 C", Kind.NI_NUMBER),
        ("NI number AB123456C for the Universal Credit claim", Kind.NI_NUMBER),
        ("His NINO: JG 10 37 59 A", Kind.NI_NUMBER),
        ("National Insurance no. CE 12 34 56 B", Kind.NI_NUMBER),
        ("NI: ab 98 76 54 d (just issued)", Kind.NI_NUMBER),
        ("Can DWP check NI number PR123456A?", Kind.NI_NUMBER),
        ("He now has an NI number, SH 45 67 89 C", Kind.NI_NUMBER),
        ("NI WK 11 22 33 A for the payroll form", Kind.NI_NUMBER),
        ("her national insurance is YZ 654321 B", Kind.NI_NUMBER),
        ("NI no HL 12 34 56 D received today", Kind.NI_NUMBER),
        ("For the job start: NI MN334455A", Kind.NI_NUMBER),
        ("NI: TA 12 34 56 C", Kind.NI_NUMBER),
        ("His NI number is KA 12 34 56 B, please update", Kind.NI_NUMBER),
        ("She got her NI letter: EB 12 98 76 A", Kind.NI_NUMBER),
        ("NINO ZW123456D", Kind.NI_NUMBER),
        ("nino qq123456c from the form", Kind.NI_NUMBER),
        # NHS numbers
        (f"NHS number {nhs('943476591')} for the GP registration", Kind.NHS_NUMBER),
        (f"Her NHS no. is {nhs('401023213', '')}", Kind.NHS_NUMBER),
        (f"NHS {nhs('485777324', '-')}", Kind.NHS_NUMBER),
        (f"The GP has him as {nhs('450557710')}", Kind.NHS_NUMBER),
        (f"CHI number {nhs('010203040', '')} for the Glasgow clinic", Kind.NHS_NUMBER),
        (f"Can the health visitor check {nhs('634567890')}?", Kind.NHS_NUMBER),
        (f"NHS number: {nhs('707070717', '-')}", Kind.NHS_NUMBER),
        (f"patient no {nhs('498765432')} at the Royal Infirmary", Kind.NHS_NUMBER),
        (f"NHS {nhs('423456789', '')} - needs an interpreter", Kind.NHS_NUMBER),
        (f"Her NHS number is {nhs('465432188')}", Kind.NHS_NUMBER),
        (f"registered with NHS number {nhs('412345678')}", Kind.NHS_NUMBER),
        (f"NHS# {nhs('444444444')}", Kind.NHS_NUMBER),
        (f"{nhs('456789012')} is his NHS number", Kind.NHS_NUMBER),
        (f"NHS no {nhs('690123456', '-')} for the dentist", Kind.NHS_NUMBER),
        (f"Prescription under NHS {nhs('720000001')}", Kind.NHS_NUMBER),
        (f"nhs number {nhs('431234567', '')}", Kind.NHS_NUMBER),
        # Home Office references
        ("HO ref H1234567", Kind.HOME_OFFICE_REF),
        ("His Home Office reference is B1234567", Kind.HOME_OFFICE_REF),
        ("Home Office ref: K7654321/2 - still waiting", Kind.HOME_OFFICE_REF),
        ("UAN 1234-5678-9012-3456 for the asylum support claim", Kind.HOME_OFFICE_REF),
        ("Can someone chase S7654321 with Migrant Help?", Kind.HOME_OFFICE_REF),
        ("Her case is M1122334, interview next week", Kind.HOME_OFFICE_REF),
        ("Home Office reference number 12345678", Kind.HOME_OFFICE_REF),
        ("HO ref: ABC/123456 from the letter", Kind.HOME_OFFICE_REF),
        ("GWF012345678 is his visa application number", Kind.HOME_OFFICE_REF),
        ("The ASF1 form needs his ref, R9876543", Kind.HOME_OFFICE_REF),
        ("port ref L1234567/001 on the BRP letter", Kind.HOME_OFFICE_REF),
        ("HO ref no. 9876543210", Kind.HOME_OFFICE_REF),
        ("UAN: 9876-5432-1098-7654", Kind.HOME_OFFICE_REF),
        ("Home Office ref Y1234567 - decision pending", Kind.HOME_OFFICE_REF),
        ("The Section 95 letter quotes D4455667", Kind.HOME_OFFICE_REF),
        ("ho reference a1234567b", Kind.HOME_OFFICE_REF),
        ("For the family reunion case, H7654321/3", Kind.HOME_OFFICE_REF),
        # Dates of birth
        ("DOB 03/04/2008", Kind.DATE_OF_BIRTH),
        ("Name: Yonas, D.O.B: 12.3.07, arrived in July", Kind.DATE_OF_BIRTH),
        ("date of birth 12 March 1990", Kind.DATE_OF_BIRTH),
        ("She was born on the 12th of March 1990 in Eritrea", Kind.DATE_OF_BIRTH),
        ("Amir (b. 2001-07-15) needs a college place", Kind.DATE_OF_BIRTH),
        ("DOB: 1/1/2007 - age disputed", Kind.DATE_OF_BIRTH),
        ("born 14/02/2009, so he leaves care soon", Kind.DATE_OF_BIRTH),
        (f"Young man, {born_17:%d/%m/%Y}, aged 17, needs a placement", Kind.DATE_OF_BIRTH),
        (f"{born_19:%d %B %Y} (aged 19) - care leaver", Kind.DATE_OF_BIRTH),
        ("Her date of birth is 5th May 1985", Kind.DATE_OF_BIRTH),
        ("dob 30-06-2006", Kind.DATE_OF_BIRTH),
        ("He was born March 12, 2008 according to his papers", Kind.DATE_OF_BIRTH),
        (f"birthday {born_30:%d/%m/%Y}, lives alone", Kind.DATE_OF_BIRTH),
        ("DoB 2007-11-02", Kind.DATE_OF_BIRTH),
        ("born 1 Jan 2010", Kind.DATE_OF_BIRTH),
        ("Child's D.O.B. 22/09/2019", Kind.DATE_OF_BIRTH),
        ("Mum born 03.10.1988, two children", Kind.DATE_OF_BIRTH),
        ("Date of birth (as per BRP): 01/01/2005", Kind.DATE_OF_BIRTH),
        # Postcodes
        ("lives at G42 8XY", Kind.POSTCODE),
        ("She's been moved to a hotel at EH1 3EG", Kind.POSTCODE),
        ("New address: flat 2/1, G51 2AB", Kind.POSTCODE),
        ("Postcode for the food parcel: M1 1AE", Kind.POSTCODE),
        ("He's staying with a cousin in SW1A 1AA for now", Kind.POSTCODE),
        ("Dispersal accommodation is at B18 4QT", Kind.POSTCODE),
        ("Deliver to L8 0SY please", Kind.POSTCODE),
        ("family now at cf10 1ep", Kind.POSTCODE),
        ("home postcode G207RL", Kind.POSTCODE),
        ("She lives at LS7 3JL with her aunt", Kind.POSTCODE),
        ("The foster placement is in BT9 6AA", Kind.POSTCODE),
        ("Moved to NE4 5PL last week", Kind.POSTCODE),
        ("Can someone drop the buggy to G33 4HF?", Kind.POSTCODE),
        ("His address is 14 Elm Street, PA1 1XY", Kind.POSTCODE),
        ("Postcode DD1 4HN - he has no credit for calls", Kind.POSTCODE),
        ("temporary flat, AB24 3RR", Kind.POSTCODE),
        ("She's at Kirkton Avenue, G13 3SQ", Kind.POSTCODE),
    ]


def test_corpus_false_positive_rate_and_recall() -> None:
    cases = planted()
    false_alarms = [(text, kinds(text)) for text in ORDINARY if scan(text)]
    missed = [(text, kind, kinds(text)) for text, kind in cases if kind not in kinds(text)]
    fp_rate = len(false_alarms) / len(ORDINARY)
    recall = 1 - len(missed) / len(cases)

    print()
    print(f"{'corpus':<22}{'sentences':>10}{'wrong':>7}{'rate':>9}")
    print(f"{'ordinary (false +)':<22}{len(ORDINARY):>10}{len(false_alarms):>7}{fp_rate:>9.1%}")
    print(f"{'planted (recall)':<22}{len(cases):>10}{len(missed):>7}{recall:>9.1%}")
    for kind in Kind:
        of_kind = [text for text, k in cases if k is kind]
        caught = sum(kind in kinds(text) for text in of_kind)
        print(f"  {kind.value:<28}{caught:>3}/{len(of_kind)}")

    assert len(ORDINARY) >= 110 and len(cases) >= 110
    assert fp_rate <= 0.02, f"false alarms: {false_alarms}"
    assert recall >= 0.95, f"missed: {missed}"


# --- Properties --------------------------------------------------------------------------------

IDENTIFIER_FRAGMENTS = [
    "07700 900123",
    "+44 (0)20 7946 0000",
    "QQ 12 34 56 C",
    nhs("943476591"),
    "H1234567/12",
    "1234-5678-9012-3456",
    "DOB 03/04/2008",
    "born 12th March 1990",
    "G42 8XY",
    "a@b.co",
    "x.y@gmail.com",
    "HO ref AB12345",
    " ",
    "/",
    "-",
    ".",
]


def check_findings(text: str) -> None:
    findings = scan(text)
    previous_end = 0
    for finding in findings:
        assert 0 <= previous_end <= finding.start < finding.end <= len(text)
        previous_end = finding.end
        original = text[finding.start : finding.end]
        if len(original) > 4:
            assert original not in finding.masked


@given(st.text(max_size=3000))
def test_scan_is_safe_on_any_text(text: str) -> None:
    check_findings(text)


@given(st.lists(st.sampled_from(IDENTIFIER_FRAGMENTS) | st.text(max_size=5), max_size=40))
def test_scan_is_safe_on_identifier_soup(parts: list[str]) -> None:
    check_findings("".join(parts))
