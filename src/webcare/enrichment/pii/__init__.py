"""Personal data in public messages: find it, mask it, and advise the agent what to do.

Public replies are visible to everyone, so a customer who posts an IBAN or phone number under a
brand's post needs an agent to move the conversation to private (and hide the comment where the
platform allows). This package finds such data without ever keeping the values themselves.
"""

from webcare.enrichment.pii.advice import PrivacyAdvice, advice_for
from webcare.enrichment.pii.customer_numbers import CustomerNumberPattern
from webcare.enrichment.pii.detect import detect_personal_data
from webcare.enrichment.pii.findings import PersonalDataFinding, PersonalDataKind

__all__ = [
    "CustomerNumberPattern",
    "PersonalDataFinding",
    "PersonalDataKind",
    "PrivacyAdvice",
    "advice_for",
    "detect_personal_data",
]
