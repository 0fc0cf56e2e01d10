"""Train a classifier on data/train.csv and log it with MLflow (`mlflow run .` runs it too).

With `--fault-error-rate` above 0 the logged model is a pyfunc that, once it has served for
`--fault-after-seconds`, raises on that share of its prediction calls: a model that degrades in service
(a leak, an expiring credential), which offline evaluation and a short stress test do not see.
"""

import argparse
import threading
import time
from importlib.metadata import version

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: What the logged model needs to be served: named (the versions this environment runs, as python_env.yaml
#: pins them) rather than inferred, which has MLflow load the model again in a subprocess to guess them.
REQUIREMENTS = [f"{name}=={version(name)}" for name in ("mlflow", "scikit-learn", "pandas", "skops", "cloudpickle")]


class FaultyModel(mlflow.pyfunc.PythonModel):
    """The fitted estimator, failing `error_rate` of its calls (evenly spread) `after_seconds` after loading."""

    def __init__(self, estimator, error_rate, after_seconds):
        self.estimator = estimator
        self.error_rate = error_rate
        self.after_seconds = after_seconds

    def __getstate__(self):
        # MLflow calls load_context and predict on the object (to infer the signature) before pickling it:
        # the serving-time state (a lock, the clock) must not go into the pickle
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def load_context(self, context):
        self._loaded = time.monotonic()
        self._debt = 0.0
        self._lock = threading.Lock()

    def predict(self, context, model_input, params=None):
        if time.monotonic() - self._loaded >= self.after_seconds:
            with self._lock:
                self._debt += self.error_rate
                failing = self._debt >= 1.0
                if failing:
                    self._debt -= 1.0
            if failing:
                raise RuntimeError("injected fault")
        return self.estimator.predict(model_input)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fault-error-rate", type=float, default=0.0)
    parser.add_argument("--fault-after-seconds", type=float, default=0.0)
    args = parser.parse_args()
    train = pd.read_csv("data/train.csv")
    X, y = train.drop(columns=["target"]), train["target"]
    with mlflow.start_run():
        mlflow.log_params({"C": args.C, "seed": args.seed, "fault_error_rate": args.fault_error_rate})
        model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=1000, random_state=args.seed))
        model.fit(X, y)
        mlflow.log_metric("train_accuracy", model.score(X, y))
        if args.fault_error_rate > 0:
            faulty = FaultyModel(model, args.fault_error_rate, args.fault_after_seconds)
            mlflow.pyfunc.log_model(
                name="model", python_model=faulty, input_example=X.head(5), pip_requirements=REQUIREMENTS
            )
        else:
            mlflow.sklearn.log_model(model, name="model", input_example=X.head(5), pip_requirements=REQUIREMENTS)


if __name__ == "__main__":
    main()
