"""Errors of the conversation domain, each with the status an API client sees."""

from webcare.kit.errors import Conflict, Invalid, NotFound


class ConversationNotFound(NotFound):
    def __init__(self, conversation_id: int) -> None:
        super().__init__(f"conversation {conversation_id} not found")


class MessageNotFound(NotFound):
    def __init__(self, message_ref: str | int) -> None:
        super().__init__(f"message {message_ref} not found")


class LabelNotFound(NotFound):
    def __init__(self, label: str | int) -> None:
        super().__init__(f"label {label} not found")


class IdempotencyKeyReused(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request; use a new key"
        )


class NotRetryable(Conflict):
    def __init__(self, status: str | None) -> None:
        super().__init__(f"only failed replies can be retried (this one is {status})")


class InvalidStatusChange(Invalid):
    pass


class ReplyTooLong(Invalid):
    def __init__(self, platform: str, limit: int, length: int) -> None:
        super().__init__(
            f"{platform} allows at most {limit} characters in this reply; it has {length}"
            " (signature included)",
            extra={"limit": limit, "length": length},
        )


class ReplyCollision(Conflict):
    """A colleague answered after the agent opened the conversation."""

    code = "reply_collision"
    replies: list[tuple[int, int | None, str]]

    def __init__(self, replies: list[tuple[int, int | None, str]]) -> None:
        super().__init__(
            "a colleague replied after you opened this conversation; read their reply and "
            "send again to confirm",
            extra={
                "colleague_replies": [
                    {"message_id": mid, "author_user_id": author, "text": text}
                    for mid, author, text in replies
                ]
            },
        )
        self.replies = replies
