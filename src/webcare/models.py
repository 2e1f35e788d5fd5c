"""Import every model module so ``Base.metadata`` is complete (for Alembic and tests)."""

from webcare.audit import models as audit_models
from webcare.auth import models as auth_models
from webcare.channel import models as channel_models
from webcare.contact import models as contact_models
from webcare.conversation import models as conversation_models
from webcare.kit.db import Base
from webcare.notification import models as notification_models
from webcare.presence import models as presence_models
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
    "worker_models",
    "workspace_models",
]
