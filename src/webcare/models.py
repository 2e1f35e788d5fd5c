"""Import every model module so ``Base.metadata`` is complete (for Alembic and tests)."""

from webcare.audit import models as audit_models
from webcare.auth import models as auth_models
from webcare.channel import attachments as email_attachment_models  # noqa: F401
from webcare.channel import models as channel_models
from webcare.channel import poll_models  # noqa: F401
from webcare.channel.webchat import models as webchat_models  # noqa: F401
from webcare.contact import models as contact_models
from webcare.conversation import models as conversation_models
from webcare.kit.db import Base
from webcare.listening import models as listening_models  # noqa: F401
from webcare.notification import models as notification_models
from webcare.presence import models as presence_models
from webcare.triage import models as triage_models
from webcare.worker import models as worker_models
from webcare.workspace import models as workspace_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "auth_models",
    "channel_models",
    "contact_models",
    "conversation_models",
    "metadata",
    "notification_models",
    "presence_models",
    "triage_models",
    "worker_models",
    "workspace_models",
]
