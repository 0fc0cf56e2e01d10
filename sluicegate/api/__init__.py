"""The Argo-Server-compatible API of the embedded stack (what Hera's `WorkflowsService` calls).

Called by `sluice up` (the `ApiServer` part) and by tests (`create_app` over a temp store). Routes, wire
shapes and error bodies follow the Argo Server; differences are listed in docs/compatibility.md.
"""

from sluicegate.api._app import ApiServer, create_app
from sluicegate.api._logs import pod_name
from sluicegate.api._objects import apply_document
from sluicegate.api._selectors import label_matcher
from sluicegate.api._validate import field_path

__all__ = ["ApiServer", "apply_document", "create_app", "field_path", "label_matcher", "pod_name"]
