"""Contact errors."""

from webcare.kit.errors import NotFound


class ContactNotFound(NotFound):
    def __init__(self, contact_id: int) -> None:
        super().__init__(f"contact {contact_id} not found")
