"""The partner page: anyone (a bank teller, a librarian) checks a card's QR code in their own browser.

Public, no login. The page reads the code from the camera or an uploaded image and checks the signature and
the card's status in the browser (``cityid/static/cityid/partner-verify.js``), against the JWK Set and the
signed status list that ``cards`` publishes: nothing about the card is sent to the server. A service worker
(``/verify/sw.js``, scope ``/verify/``) keeps the page, its scripts, the keys and the status list, so the page
keeps working offline once it has been loaded.
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

#: Where the program publishes its card keys and status list (docs/credentials.md): stable URLs.
KEYS_URL = "/.well-known/cityid/keys"
STATUS_URL = "/.well-known/cityid/status"

#: What the page needs to work offline: its scripts, styles and the images of the page's frame.
ASSETS = (
    "vendor/uswds/css/uswds.min.css", "cityid/site.css", "vendor/uswds/js/uswds-init.min.js",
    "vendor/uswds/js/uswds.min.js", "cityid/file-input-i18n.js", "vendor/htmx/htmx.min.js",
    "cityid/submit-once.js", "vendor/jsqr/jsQR.js", "vendor/cbor-x/cbor-x.min.js", "cityid/partner-verify.js",
    "vendor/uswds/img/icon-dot-gov.svg", "vendor/uswds/img/icon-https.svg",
)


def _words() -> dict:
    return {
        "checking": _("Checking the code…"),
        "refused": _("Do not accept this card"),
        "valid_full": _("Valid card"),
        "valid_minimal": _("Valid card (age and residence code)"),
        "issuer": _("Issued by"),
        "name": _("Name"),
        "birth": _("Date of birth"),
        "expiry": _("Valid through"),
        "number": _("Card number"),
        "resident": _("Resident of the city"),
        "over18": _("18 or older"),
        "over21": _("21 or older"),
        "yes": _("Yes"),
        "no": _("No"),
        "photo_note": _("The code holds a fingerprint (%s…) of the photo printed on the card: compare that photo "
                        "with the person in front of you."),
        "status_checked": _("Checked against the program's list of suspended and revoked cards."),
        "status_stale": _("The list of suspended and revoked cards on this device is out of date: connect to the "
                          "internet and check again to be sure."),
        "status_unchecked": _("The list of suspended and revoked cards could not be loaded, so the card's status is "
                              "not checked: connect to the internet and check again."),
        "camera_start": _("Scan with the camera"),
        "camera_stop": _("Stop the camera"),
        "offline_ready": _("This page now works without an internet connection on this device."),
        "offline_unavailable": _("This browser cannot keep the page for offline use."),
        "reasons": {
            "malformed": _("This is not a city ID card code, or the code is damaged."),
            "unknown_key": _("The code was not signed by a key this program publishes. The card may be forged."),
            "bad_signature": _("The code's signature does not match what it says: it has been changed or forged."),
            "expired": _("The card has expired."),
            "revoked": _("The card has been revoked (for example, reported lost or stolen)."),
            "suspended": _("The card is suspended for now."),
            "no_code": _("No QR code was found in this image. Take a sharper, closer picture of the code."),
            "image": _("This file could not be read as an image."),
            "too_large": _("This image is too large. Use a picture under 20 MB and 40 megapixels."),
            "keys": _("The program's keys are not on this device yet: open this page once with an internet "
                      "connection."),
            "camera": _("The camera could not be started. Upload a picture of the code instead."),
        },
    }


@require_GET
def partner_page(request: HttpRequest) -> HttpResponse:
    config = {"keys_url": KEYS_URL, "status_url": STATUS_URL, "sw_url": reverse("verify:service_worker"),
              "scope": reverse("verify:page"), "words": _words()}
    response = render(request, "cards/partner_verify.html", {"config": config})
    response["Cache-Control"] = "no-cache"  # online: always the current page; offline: the service worker's copy
    # The one page that may use the camera (the project-wide policy grants none).
    response["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
    return response


def precache_urls() -> list[str]:
    return [reverse("verify:page"), KEYS_URL, STATUS_URL, *(static(path) for path in ASSETS)]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    urls = precache_urls()
    version = hashlib.sha256(json.dumps(urls).encode()).hexdigest()[:12]
    body = render_to_string("cards/partner_sw.js", {"precache": json.dumps(urls), "version": json.dumps(version),
                                                    "fresh_first": json.dumps([reverse("verify:page"), KEYS_URL,
                                                                               STATUS_URL])})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
