"""schema.enums.member is calling the enum class: the same member for every label, the same error for others."""

from __future__ import annotations

import enum

import pytest

from schema import enums


def _enums() -> list[type[enum.Enum]]:
    return [v for v in vars(enums).values() if isinstance(v, type) and issubclass(v, enum.Enum) and v is not enum.Enum]


def test_every_label_gives_the_classes_member() -> None:
    classes = _enums()
    assert len(classes) > 10
    for cls in classes:
        for m in cls:
            assert enums.member(cls, m.value) is cls(m.value) is m


def test_an_unknown_label_fails_as_the_class_does() -> None:
    with pytest.raises(ValueError, match="is not a valid CertificationStatus"):
        enums.member(enums.CertificationStatus, "NOT_A_STATUS")
