"""Channel errors."""

from webcare.kit.errors import NotFound


class ChannelAccountNotFound(NotFound):
    def __init__(self, account_id: int | str) -> None:
        super().__init__(f"channel account {account_id} not found")
