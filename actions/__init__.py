"""Custom actions for the Rasa action server (`rasa run actions --actions actions`).

Thin by design: each action reads slots, calls one crm_store service and replies.
One module per topic; the form validators sit next to the action their form ends in.
"""

from actions.account import ActionLinkAccount, ActionRequestErasure, ActionUnlinkAccount, ActionVerifyCode
from actions.answers import ActionAnswer, ActionClose, ActionWelcome
from actions.delivery import ActionParcelMissing
from actions.everyday import ActionInvoiceCopy, ActionOutOfScope
from actions.login import ActionAccountHelp, ActionResendReset
from actions.payments import ActionPaymentProblem
from actions.address import ActionChangeAddress, ValidateAddressForm
from actions.cancel import ActionCancelOrder, ValidateCancelOrderForm
from actions.fallback import ActionDefaultAskAffirmation
from actions.follow_ups import ActionFollowUp
from actions.feedback import ActionSaveFeedback, ValidateFeedbackForm
from actions.forms import ActionLeaveForm
from actions.handoff import ActionDefaultFallback, ActionHandoff, ActionSaveCsat, ValidateCsatForm
from actions.language_slot import ActionDetectLanguage
from actions.languages import ActionReplyInLanguage
from actions.leads import ActionAskLeadFormConfirmed, ActionCreateLead, ValidateLeadForm
from actions.orders import ActionCheckOrder, ValidateOrderStatusForm
from actions.products import ActionProductAvailability, ActionProductInfo
from actions.questions import ActionAnswerQuestions
from actions.receipts import (
    ActionAskReceiptValue,
    ActionConfirmReceipt,
    ActionCorrectReceipt,
    ActionReadReceipt,
    ValidateReceiptCorrectionForm,
)
from actions.refunds import ActionRefundStatus
from actions.resolving import ActionAskOrderId
from actions.returns import ActionCreateReturn, ValidateReturnForm
from actions.tickets import ActionOpenTicket, ActionTicketStatus

__all__ = [
    "ActionFollowUp",
    "ActionAnswerQuestions",
    "ActionReplyInLanguage",
    "ActionDetectLanguage",
    "ActionAccountHelp",
    "ActionAnswer",
    "ActionInvoiceCopy",
    "ActionOutOfScope",
    "ActionClose",
    "ActionParcelMissing",
    "ActionPaymentProblem",
    "ActionResendReset",
    "ActionWelcome",
    "ActionCancelOrder",
    "ActionChangeAddress",
    "ActionCheckOrder",
    "ActionLinkAccount",
    "ActionRequestErasure",
    "ActionUnlinkAccount",
    "ActionVerifyCode",
    "ActionAskLeadFormConfirmed",
    "ActionAskOrderId",
    "ActionCreateLead",
    "ActionCreateReturn",
    "ActionDefaultAskAffirmation",
    "ActionDefaultFallback",
    "ActionHandoff",
    "ActionLeaveForm",
    "ActionOpenTicket",
    "ActionProductAvailability",
    "ActionProductInfo",
    "ActionRefundStatus",
    "ActionSaveCsat",
    "ActionSaveFeedback",
    "ActionTicketStatus",
    "ValidateAddressForm",
    "ValidateCancelOrderForm",
    "ValidateCsatForm",
    "ValidateFeedbackForm",
    "ValidateLeadForm",
    "ValidateOrderStatusForm",
    "ValidateReturnForm",
    # Receipt photos
    "ActionAskReceiptValue",
    "ActionConfirmReceipt",
    "ActionCorrectReceipt",
    "ActionReadReceipt",
    "ValidateReceiptCorrectionForm",
]
