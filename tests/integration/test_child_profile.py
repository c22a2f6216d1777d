"""The child information profile (Philomena protocol): versions, the photo, who sees it and when, and two
people saving at once. Synthetic children only."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from hafan.core.errors import EditConflict, NotPermitted
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.people.models import ChildProfile
from hafan.people.services import child_profile_save
from hafan.sharing.models import AuditEvent

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def _image(fmt: str = "JPEG", size: tuple[int, int] = (1600, 1000), *, gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "SyntheticCam"  # Make
        exif[GPS_IFD] = {1: "N", 2: (51.0, 35.0, 1.0), 3: "W", 4: (2.0, 59.0, 1.0)}  # Newport, roughly
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def episode(report_missing: Callable[..., Episode]) -> Episode:
    return report_missing()


def _photo_of(profile: ChildProfile) -> bytes:
    assert profile.photo is not None
    return bytes(profile.photo)


def _save(episode: Episode, user: Any, based_on: int | None, **fields: Any) -> ChildProfile:
    fields.setdefault("description", "Slim, 160 cm, dark curly hair, brown eyes.")
    return child_profile_save(child=episode.child, prepared_by=user, based_on_version=based_on, **fields)


def test_each_save_is_a_new_version_and_the_photo_moves_with_the_child(
    episode: Episode, social_worker: Any
) -> None:
    first = _save(episode, social_worker, None, placement="Foster carers, Malpas", photo=_image())
    second = _save(episode, social_worker, 1, placement="Children's home, Caerffili")
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert first.placement == "Foster carers, Malpas"  # the old version is kept as it was
    assert second.placement == "Children's home, Caerffili"
    assert second.photo is not None and _photo_of(second) == _photo_of(first)  # kept unless replaced
    assert second.prepared_by_agency.code == "NCC"
    third = _save(episode, social_worker, 2, keep_photo=False)
    assert not third.photo and third.photo_content_type == ""
    audit = AuditEvent.objects.filter(target_type="child_profile", action="create")
    assert audit.count() == 3


def test_a_save_from_a_stale_version_is_refused_and_nothing_is_written(
    episode: Episode, social_worker: Any
) -> None:
    _save(episode, social_worker, None)
    _save(episode, social_worker, 1, places="Newport bus station")
    with pytest.raises(EditConflict) as raised:
        _save(episode, social_worker, 1, places="Tredegar Park")
    assert isinstance(raised.value.current, ChildProfile) and raised.value.current.version == 2
    with pytest.raises(EditConflict):
        _save(episode, social_worker, None)  # "a new profile" when one exists is stale too
    assert ChildProfile.objects.filter(child=episode.child).count() == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "a GIF"),
        (b"%PDF-1.7 not a photo", "not an image"),
        (b"\xff\xd8\xff\xe0 truncated jpeg", "a broken JPEG"),
        (b"", "empty"),
    ],
)
def test_only_jpeg_or_png_photos_are_accepted(
    episode: Episode, social_worker: Any, data: bytes, reason: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        _save(episode, social_worker, None, photo=data, photo_content_type="image/jpeg")
    assert "photo" in raised.value.message_dict, reason
    assert not ChildProfile.objects.exists()


def test_a_gif_is_refused_even_when_it_is_a_real_image(episode: Episode, social_worker: Any) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    with pytest.raises(ValidationError) as raised:
        _save(episode, social_worker, None, photo=gif.getvalue())
    assert "JPEG or a PNG" in raised.value.message_dict["photo"][0]


def test_a_photo_over_5_mb_is_refused(episode: Episode, social_worker: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        _save(episode, social_worker, None, photo=_image() + b"\0" * (5 * 1024 * 1024))
    assert "5 MB" in raised.value.message_dict["photo"][0]


def test_the_photo_loses_its_location_and_is_scaled_down(episode: Episode, social_worker: Any) -> None:
    original = _image(gps=True)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get(0x010F) == "SyntheticCam"  # the test image really carries EXIF
        assert GPS_IFD in before.getexif()
    profile = _save(episode, social_worker, None, photo=original)
    assert profile.photo_content_type == "image/jpeg"
    with Image.open(io.BytesIO(_photo_of(profile))) as after:
        assert len(after.getexif()) == 0
        assert "exif" not in after.info
        assert max(after.size) == 1200


def test_the_photo_is_encrypted_at_rest(episode: Episode, social_worker: Any) -> None:
    from django.db import connection

    photo = _image("PNG", (300, 400))
    profile = _save(episode, social_worker, None, photo=photo)
    with connection.cursor() as cursor:
        cursor.execute("SELECT photo FROM people_childprofile WHERE id = %s", [profile.pk])
        [(raw,)] = cursor.fetchall()
    raw = raw if isinstance(raw, str) else bytes(raw).decode("ascii")
    assert raw.startswith("enc1:")
    # Neither the PNG signature itself nor the photo merely base64-encoded (which starts "iVBORw0KGgo") is stored.
    # (Searching the token for the three letters "PNG" failed now and then: random base64 contains them.)
    assert "iVBORw0KGgo" not in raw
    payload = base64.urlsafe_b64decode(raw.split(":", 2)[2] + "==")
    assert b"\x89PNG\r\n\x1a\n" not in payload
    assert _photo_of(profile).startswith(b"\x89PNG")


def test_a_png_stays_a_png(episode: Episode, social_worker: Any) -> None:
    profile = _save(episode, social_worker, None, photo=_image("PNG", (300, 400)))
    assert profile.photo_content_type == "image/png"
    assert _photo_of(profile).startswith(b"\x89PNG")


def test_only_social_workers_prepare_the_profile(episode: Episode, coordinator: Any, nurse: Any) -> None:
    for user in (coordinator, nurse):
        with pytest.raises(NotPermitted):
            _save(episode, user, None)
    assert not ChildProfile.objects.exists()


def _profile_url(episode: Episode, name: str = "people:profile") -> str:
    return reverse(name, args=[episode.child.public_id])


def test_police_see_the_profile_only_while_the_child_is_missing(
    episode: Episode, social_worker: Any, coordinator: Any, client: Any
) -> None:
    _save(episode, social_worker, None, nicknames="Cez")
    client.force_login(coordinator)
    response = client.get(_profile_url(episode))
    assert response.status_code == 200
    assert "Cez" in response.content.decode()
    assert 'data-testid="profile-released"' in response.content.decode()
    released = AuditEvent.objects.filter(
        target_type="child_profile", action="view", actor_username="coordinator"
    )
    assert released.exists() and all(e.detail.get("released_to_police") for e in released)
    assert client.get(_profile_url(episode, "people:profile_photo")).status_code == 404  # no photo saved
    episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=timezone.now(),
        found_where="Home",
        found_by="self",
        harm_suffered=False,
    )
    assert client.get(_profile_url(episode)).status_code == 404
    detail = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert 'data-testid="profile-briefing"' not in detail


def test_police_may_read_but_not_edit_the_profile(
    episode: Episode, social_worker: Any, supervisor: Any, client: Any
) -> None:
    _save(episode, social_worker, None)
    client.force_login(supervisor)
    assert client.get(_profile_url(episode)).status_code == 200
    assert client.get(_profile_url(episode, "people:profile_edit")).status_code == 403
    assert client.post(_profile_url(episode, "people:profile_edit"), {"description": "x"}).status_code == 403
    assert ChildProfile.objects.count() == 1


@pytest.mark.parametrize(
    "persona", ["nurse", "education_worker", "analyst", "outsider", "debrief_worker", "auditor"]
)
def test_everyone_else_gets_404(
    episode: Episode, social_worker: Any, client: Any, persona: str, request: pytest.FixtureRequest
) -> None:
    _save(episode, social_worker, None, photo=_image("PNG", (50, 50)))
    client.force_login(request.getfixturevalue(persona))
    for name in ("people:profile", "people:profile_edit", "people:profile_photo"):
        assert client.get(_profile_url(episode, name)).status_code == 404, name


def test_the_profile_page_shows_versions_and_an_older_one(
    episode: Episode, social_worker: Any, client: Any
) -> None:
    _save(episode, social_worker, None, placement="Foster carers, Malpas")
    _save(episode, social_worker, 1, placement="Residential home, Cwmbrân")
    client.force_login(social_worker)
    page = client.get(_profile_url(episode)).content.decode()
    assert "Residential home, Cwmbrân" in page and 'data-testid="profile-versions"' in page
    assert "Ceri Hughes" in page
    old = client.get(_profile_url(episode), {"version": 1}).content.decode()
    assert "Foster carers, Malpas" in old and 'data-testid="profile-old-version"' in old
    assert client.get(_profile_url(episode), {"version": 9}).status_code == 404
    assert client.get(_profile_url(episode), {"version": "x"}).status_code == 404


def test_the_form_saves_a_version_with_an_uploaded_photo(
    episode: Episode, social_worker: Any, client: Any
) -> None:
    client.force_login(social_worker)
    form = client.get(_profile_url(episode, "people:profile_edit"))
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.content.decode()
    upload = SimpleUploadedFile("selfie.jpg", _image(gps=True), content_type="image/jpeg")
    response = client.post(
        _profile_url(episode, "people:profile_edit"),
        {"based_on_version": "", "description": "Tall, red jacket", "first_language": "cy", "photo": upload},
    )
    assert response.status_code == 302
    profile = ChildProfile.objects.get(child=episode.child)
    assert profile.first_language == "cy" and profile.photo_content_type == "image/jpeg"
    photo = client.get(_profile_url(episode, "people:profile_photo"))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert photo["Cache-Control"].startswith("no-store")


def test_a_bad_upload_shows_the_error_and_keeps_the_input(
    episode: Episode, social_worker: Any, client: Any
) -> None:
    client.force_login(social_worker)
    upload = SimpleUploadedFile("notes.png", b"definitely not a png", content_type="image/png")
    response = client.post(
        _profile_url(episode, "people:profile_edit"),
        {"based_on_version": "", "description": "Tall, red jacket", "photo": upload},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The photo must be a JPEG or a PNG." in page and "Tall, red jacket" in page
    assert not ChildProfile.objects.exists()


def test_two_people_editing_at_once_see_both_versions(
    episode: Episode, social_worker: Any, client: Any
) -> None:
    _save(episode, social_worker, None, associates="Aunt in Rhymney")
    client.force_login(social_worker)
    client.get(_profile_url(episode, "people:profile_edit"))  # the form, based on version 1
    _save(episode, social_worker, 1, associates="Older friend, Pill area")  # someone else saves version 2
    data = {"based_on_version": "1", "associates": "Cousin in Ringland"}
    response = client.post(_profile_url(episode, "people:profile_edit"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="profile-conflict"' in page
    assert "Older friend, Pill area" in page  # what is saved now
    assert "Cousin in Ringland" in page  # what they typed, kept
    assert 'name="based_on_version" value="2"' in page
    assert ChildProfile.objects.filter(child=episode.child).count() == 2
    # Having seen both, saving again makes theirs the current version.
    data["based_on_version"] = "2"
    assert client.post(_profile_url(episode, "people:profile_edit"), data).status_code == 302
    assert (
        ChildProfile.objects.filter(child=episode.child, version=3).get().associates == "Cousin in Ringland"
    )


def test_the_briefing_shows_the_profile_and_part_two(
    episode: Episode, social_worker: Any, coordinator: Any, nurse: Any, client: Any
) -> None:
    _save(episode, social_worker, None, marks="Scar above left eyebrow", photo=_image("PNG", (40, 40)))
    client.force_login(coordinator)
    page = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert 'data-testid="profile-briefing"' in page
    assert "Scar above left eyebrow" in page
    assert 'data-testid="profile-part-two"' in page and "Black hoodie, grey joggers" in page
    assert 'data-testid="profile-briefing-photo"' in page
    client.force_login(nurse)
    page = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert "Scar above left eyebrow" not in page


def test_the_child_page_links_to_the_profile_for_those_who_may_see_it(
    episode: Episode, social_worker: Any, nurse: Any, client: Any
) -> None:
    url = reverse("people:child", args=[episode.child.public_id])
    client.force_login(social_worker)
    assert 'data-testid="profile-link"' in client.get(url).content.decode()
    client.force_login(nurse)
    assert 'data-testid="profile-link"' not in client.get(url).content.decode()
