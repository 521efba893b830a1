"""Support vector machines: `SVM` (binary), `SVMMulticlass` (one-vs-rest), `SVR`."""
from smolml.models.svm.svm import SVM, SVMMulticlass, SVR

__all__ = ["SVM", "SVMMulticlass", "SVR"]
