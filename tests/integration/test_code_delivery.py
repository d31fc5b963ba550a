"""One-time codes by email go through the shared SMTP sender (crm_store/mail.py) to a real
SMTP server: STARTTLS against the server's own CA, a login, and a clear failure when the
server is not there."""

from __future__ import annotations

import pytest

from crm_store.code_delivery import DeliveryFailed, deliver_code
from crm_store.settings import Settings
from tests.support.smtp import SmtpServer, free_port


def test_a_code_is_mailed_over_starttls_with_a_login(tmp_path):
    with SmtpServer(tls_dir=tmp_path, login=("shop", "s3cret")) as server:
        settings = Settings(
            link_code_delivery="email",
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_starttls=True,
            smtp_ca_file=str(server.ca_file),
            smtp_user="shop",
            smtp_password="s3cret",
            mail_from="help@shop.example",
        )
        deliver_code(settings, "ann@example.com", "493021", "link")

    assert server.logins == ["shop"]
    [msg] = server.messages
    assert msg["To"] == "ann@example.com" and msg["From"] == "help@shop.example"
    assert "493021" in msg["Subject"] and "493021" in msg.get_content()
    assert "link a chat with your account" in msg.get_content()


def test_a_mail_server_that_is_not_there_is_a_clear_failure():
    settings = Settings(link_code_delivery="email", smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=2)
    with pytest.raises(DeliveryFailed, match="could not be sent"):
        deliver_code(settings, "ann@example.com", "493021", "link")
