"""Rewrites an AMQP 1.0 byte stream so every performative carries all of its fields.

Why: AMQP lets a peer omit trailing null fields of a performative, and proton does. The
`azure-eventhub` client's built-in decoder (`azure.eventhub._pyamqp`) reads performatives by
position (`frame[9]` of `open`, `frame[7]` of `begin`, the payload of `transfer` at index 11...)
and fails with an IndexError, or mistakes the payload for a field, when they are missing. Proton
offers no option to write them, and several (`begin` properties, `transfer` batchable) have no
API at all, so the test endpoint pipes proton's output through `FramePadder`, which appends
explicit nulls (0x40) up to each performative's arity. The bytes on the wire stay valid AMQP.
"""

from __future__ import annotations

import struct

# Descriptor code -> number of fields (AMQP 1.0 part 2, section 2.7, and part 5 for SASL).
ARITY = {
    0x10: 10,  # open
    0x11: 8,  # begin
    0x12: 14,  # attach
    0x13: 11,  # flow
    0x14: 11,  # transfer
    0x15: 6,  # disposition
    0x16: 3,  # detach
    0x17: 1,  # end
    0x18: 1,  # close
    0x40: 1,  # sasl-mechanisms
    0x41: 3,  # sasl-init
    0x42: 1,  # sasl-challenge
    0x43: 1,  # sasl-response
    0x44: 2,  # sasl-outcome
}

_NULL = b"\x40"
_PROTOCOL_HEADER = b"AMQP"


class FramePadder:
    """Feed it bytes as they come; it returns the bytes to forward, frames padded.

    Holds back an incomplete frame until the rest arrives; protocol headers, empty (heartbeat)
    frames and performatives it does not know pass through unchanged.
    """

    def __init__(self) -> None:
        self._pending = bytearray()

    def feed(self, data: bytes) -> bytes:
        self._pending += data
        out = bytearray()
        while True:
            if self._pending[:4] == _PROTOCOL_HEADER:
                if len(self._pending) < 8:
                    break
                out += self._pending[:8]
                del self._pending[:8]
                continue
            if len(self._pending) < 4:
                break
            (size,) = struct.unpack(">I", self._pending[:4])
            if len(self._pending) < size:
                break
            out += pad_frame(bytes(self._pending[:size]))
            del self._pending[:size]
        return bytes(out)


def pad_frame(frame: bytes) -> bytes:
    """One complete frame with its performative padded to full arity."""
    doff = frame[4] * 4
    header, body = frame[:doff], frame[doff:]
    if not body or body[0] != 0x00:
        return frame  # empty frame (heartbeat) or not a described performative
    if body[1] == 0x53:  # smallulong descriptor
        code, at = body[2], 3
    elif body[1] == 0x80:  # ulong descriptor
        (code,), at = struct.unpack(">Q", body[2:10]), 10
    else:
        return frame
    arity = ARITY.get(code)
    if arity is None:
        return frame
    kind = body[at]
    if kind == 0x45:  # list0
        count, fields, end = 0, b"", at + 1
    elif kind == 0xC0:  # list8: size, count, fields
        size, count = body[at + 1], body[at + 2]
        fields, end = body[at + 3 : at + 2 + size], at + 2 + size
    elif kind == 0xD0:  # list32
        size, count = struct.unpack(">II", body[at + 1 : at + 9])
        fields, end = body[at + 9 : at + 5 + size], at + 5 + size
    else:
        return frame
    if count >= arity:
        return frame
    fields += _NULL * (arity - count)
    if len(fields) + 1 <= 0xFF:
        encoded = bytes([0xC0, len(fields) + 1, arity]) + fields
    else:
        encoded = b"\xd0" + struct.pack(">II", len(fields) + 4, arity) + fields
    new_body = body[:at] + encoded + body[end:]  # a transfer's payload follows the list
    return struct.pack(">I", doff + len(new_body)) + header[4:] + new_body
