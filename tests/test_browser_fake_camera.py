"""The fake-camera file for the purchase's browser test (issue 23): Chromium plays it as a camera
(``--use-file-for-fake-video-capture``) and the frame a page captures carries a label whose
barcode the serial reader reads."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from laptop_pricing.purchase.barcode import read_serial
from tests.browser_support import CHROMIUM_ARGS, require_chromium
from tests.purchase_media_support import (
    CAPTURE_FRAME_JS,
    LABEL_SERIAL,
    fake_camera_args,
    write_serial_label_y4m,
)

pytestmark = pytest.mark.browser


def test_chromiums_fake_camera_shows_a_label_whose_serial_is_read(tmp_path):
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_ARGS, *fake_camera_args(write_serial_label_y4m(tmp_path))]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=require_chromium(), args=args, headless=True
        )
        try:
            page = browser.new_page()
            # getUserMedia needs a secure context: localhost is one, served here by Playwright.
            page.route("http://localhost/**", lambda route: route.fulfill(body="<html></html>"))
            page.goto("http://localhost/camera")
            data_url = page.evaluate(CAPTURE_FRAME_JS)
        finally:
            browser.close()

    frame = base64.b64decode(data_url.split(",", 1)[1])
    assert Image.open(io.BytesIO(frame)).size == (640, 480)
    assert read_serial(frame) == LABEL_SERIAL
