"""Which of an officer's lists a document reads under a field, so they are read with the officer.

Only what is read ahead depends on this, never what is shown: a list it misses is read by its loader when its
field resolves, and one it names in vain (under a skipped fragment, say) is read and not shown.
"""

from __future__ import annotations

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types import Info

from store.officer_tree import PARTS


def officer_parts(info: Info) -> frozenset[str]:
    """The fields of ``store.officer_tree.PARTS`` selected directly on the officer this field returns,
    through inline fragments and named fragments alike."""
    raw = info._raw_info
    found: set[str] = set()
    stack: list[SelectionSetNode | None] = [node.selection_set for node in raw.field_nodes]
    while stack:
        selection_set = stack.pop()
        for sel in selection_set.selections if selection_set is not None else ():
            if isinstance(sel, FieldNode):
                if sel.name.value in PARTS:
                    found.add(sel.name.value)
            elif isinstance(sel, InlineFragmentNode):
                stack.append(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode) and (fragment := raw.fragments.get(sel.name.value)):
                stack.append(fragment.selection_set)
    return frozenset(found)
