"""The `train-project` step's own parts: create the run before a model project's entry point, register after.

Called by the `train-project` WorkflowTemplate (`python -m components.project_train start|finish`). The
entry point itself runs between them, in the project's environment image, never in this package's venv.
"""

from components.project_train._finish import FinishResult, finish
from components.project_train._start import StartResult, parameters_for, start

__all__ = ["FinishResult", "StartResult", "finish", "parameters_for", "start"]
