"""Port declarations and references. ``a.mem_side = b.cpu_side`` connects."""

from __future__ import annotations


class PortDesc:
    is_request = True
    is_vector = False

    def __init__(self, doc: str, optional: bool = False):
        self.doc = doc
        self.optional = optional
        self.name = None  # set by the metaclass

    @property
    def kind(self):
        return ("Vector" if self.is_vector else "") + ("RequestPort" if self.is_request else "ResponsePort")


class RequestPort(PortDesc):
    is_request = True


class ResponsePort(PortDesc):
    is_request = False


class VectorRequestPort(RequestPort):
    is_vector = True


class VectorResponsePort(ResponsePort):
    is_vector = True


class PortRef:
    """A port of one SimObject instance, as seen in a config script."""

    def __init__(self, owner, desc: PortDesc):
        self.owner, self.desc = owner, desc

    @property
    def name(self):
        return self.desc.name

    def full_name(self):
        return f"{self.owner.path()}.{self.desc.name}"

    def __repr__(self):
        return f"<port {self.full_name()}>"
