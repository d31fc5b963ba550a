"""Domain errors: each carries a sentence a person can read."""

from __future__ import annotations


class CrmError(Exception):
    """Base of every error the CRM raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SettingsError(CrmError):
    """A setting from the environment has a value we cannot use."""


class DatabaseUnavailable(CrmError):
    """The database named by a setting cannot be reached."""


class UnknownCustomer(CrmError):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"There is no customer with id {customer_id}.")
        self.customer_id = customer_id


class OrderNotFound(CrmError):
    def __init__(self, order_number: str) -> None:
        super().__init__(f"No order {order_number} was found for this customer.")
        self.order_number = order_number


class InvalidOrderNumber(CrmError):
    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} does not look like an order number (e.g. A-10423).")
        self.text = text


class InvalidTransition(CrmError):
    """A process cannot move from its current stage to the asked one."""


class VerificationFailed(CrmError):
    """The customer could not prove an order is theirs."""
