"""RFC 6962 / RFC 9162 Merkle tree hashing for the audit transparency log.

Pure Python, standard library only (no Django here): the storage layer plugs in
through the small :class:`NodeStore` protocol.

Tree model
----------
Leaves are numbered from 0. The node at ``(level, index)`` is the root of the
perfect subtree that covers leaves ``[index * 2**level, (index + 1) * 2**level)``;
level 0 holds the leaf hashes. Once it exists, such a node never changes, so the
log stores every complete node when it appears (:func:`append_leaves`), and the
root, inclusion proofs and consistency proofs for any tree size then need only
O(log n) stored-node lookups. A non-perfect subtree on the right edge of a tree
is rebuilt from the O(log n) perfect subtrees it is made of.

The leaf hash of entry ``d`` is ``SHA-256(0x00 || d)``, an interior node is
``SHA-256(0x01 || left || right)``, and the empty tree hashes to ``SHA-256("")``
(RFC 6962 §2.1, RFC 9162 §2.1.1). Proofs use the RFC ``PATH`` / ``SUBPROOF``
layout, and the verifiers are the RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms, so
proofs interoperate with Certificate Transparency, Trillian/Tessera and sigsum.

The C2SP tlog-tiles helpers (:func:`tile_path`, :func:`parse_tile_path`,
:func:`tile_width`, :func:`tile_bytes`) serve the same stored nodes as static
tiles: a level-``L`` tile holds 256 consecutive hashes of tree level ``8 * L``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "BatchNodeStore",
    "MemoryNodeStore",
    "MerkleTree",
    "NodeStore",
    "TileRef",
    "append_leaves",
    "consistency_proof",
    "entries_path",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "parse_tile_path",
    "root",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "subtree_nodes",
    "tile_bytes",
    "tile_path",
    "tile_width",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: C2SP tlog-tiles: tiles are 8 tree levels high and 256 hashes wide.
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT

#: Largest tree size accepted anywhere (tlog-tiles levels go up to 63).
MAX_SIZE = 1 << 63

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# --------------------------------------------------------------------------- hashing


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 leaf hash: ``SHA-256(0x00 || entry)``."""
    return _sha256(_LEAF_PREFIX + bytes(entry)).digest()


#: Bytes of an entry's random salt (see :func:`commitment`).
SALT_SIZE = 32


def commitment(salt: bytes, entry: bytes) -> bytes:
    """A salted commitment to an entry: ``SHA-256(salt || entry)`` with a 32-byte random ``salt``.

    The log's tree is built over commitments, not entries, so a published leaf hash cannot
    confirm a guessed entry: checking a guess needs the salt, which only auditors and the
    entry's subject are given. The salt's fixed length keeps ``salt || entry`` unambiguous.
    """
    if len(salt) != SALT_SIZE:
        raise ValueError(f"an entry's salt is {SALT_SIZE} bytes")
    return _sha256(bytes(salt) + bytes(entry)).digest()


def entry_leaf_hash(entry: bytes, salt: bytes) -> bytes:
    """The leaf hash of a stored entry: ``leaf_hash(commitment(salt, entry))``.

    An empty ``salt`` marks an entry logged before commitments existed (leaf form 0): its leaf
    stays ``leaf_hash(entry)``, so that checkpoints signed before then still verify.
    """
    if not salt:
        return leaf_hash(entry)
    return leaf_hash(commitment(salt, entry))


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _check_hash(value: object, what: str = "hash") -> bytes:
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    if not _is_hash(value):
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")
    return value  # type: ignore[return-value]


def _check_size(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < MAX_SIZE:
        raise ValueError(f"{what} must be an integer in [0, 2**63)")
    return value


def _split_point(n: int) -> int:
    """Largest power of two strictly below ``n`` (``n >= 2``), RFC 6962's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Hash of a range from its perfect subtrees, listed left to right (largest first)."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = _sha256(_NODE_PREFIX + h + result).digest()
    return result


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    """Merkle Tree Hash of a list of leaf hashes (no storage; O(n) time, O(log n) memory)."""
    stack: list[bytes] = []
    count = 0
    for h in hashes:
        h = _check_hash(h, "leaf hash")
        i = count
        while i & 1:
            h = _sha256(_NODE_PREFIX + stack.pop() + h).digest()
            i >>= 1
        stack.append(h)
        count += 1
    if not stack:
        return EMPTY_ROOT
    return _fold(stack)


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """Stored nodes ``(level, index)`` whose fold is ``MTH(D[start:end])``, left to right.

    ``[start, end)`` must be a subtree range of the RFC 6962 recursion (``start`` a
    multiple of the smallest power of two ``>= end - start``): every tree prefix
    ``[0, n)``, every node of a proof, and every tile range qualifies.
    """
    if not 0 <= start < end:
        raise ValueError("empty or negative range")
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start & ((1 << level) - 1):
            raise ValueError(f"[{start}, {end}) is not a subtree range")
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


# --------------------------------------------------------------------------- storage


@runtime_checkable
class NodeStore(Protocol):
    """Where the complete nodes of a log's tree live (in memory, a database table...).

    ``get`` returns the 32-byte hash stored at ``(level, index)`` and raises
    ``KeyError`` if there is none. ``put_many`` stores ``(level, index, hash)``
    triples; nodes are immutable, so storing the same value twice must be a no-op.
    A store may also offer ``get_many(keys) -> list[bytes]`` (see
    :class:`BatchNodeStore`): proof functions then fetch all their nodes in one
    call; and ``get_range(level, start, count) -> bytes`` (the concatenated hashes
    of consecutive nodes), which :func:`tile_bytes` then uses.
    """

    def get(self, level: int, index: int) -> bytes: ...

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None: ...


@runtime_checkable
class BatchNodeStore(NodeStore, Protocol):
    """A :class:`NodeStore` that can fetch many nodes in one round trip."""

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]: ...


class MemoryNodeStore:
    """In-memory :class:`NodeStore`: one contiguous ``bytearray`` per tree level.

    Nodes of a level must be stored left to right without gaps (which is what
    :func:`append_leaves` does); re-storing an existing node is accepted only with
    the same value, so the store itself enforces append-only behaviour.
    """

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: list[bytearray] = []

    @property
    def size(self) -> int:
        """Number of leaf hashes (level 0 nodes) stored."""
        return len(self._levels[0]) // HASH_SIZE if self._levels else 0

    def __len__(self) -> int:
        """Total number of stored nodes, all levels."""
        return sum(len(buf) for buf in self._levels) // HASH_SIZE

    def level_count(self, level: int) -> int:
        """Number of nodes stored at ``level``."""
        return len(self._levels[level]) // HASH_SIZE if 0 <= level < len(self._levels) else 0

    def get(self, level: int, index: int) -> bytes:
        if 0 <= level < len(self._levels) and index >= 0:
            buf = self._levels[level]
            off = index * HASH_SIZE
            if off < len(buf):
                return bytes(buf[off : off + HASH_SIZE])
        raise KeyError((level, index))

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        get = self.get
        return [get(level, index) for level, index in keys]

    def get_range(self, level: int, start: int, count: int) -> bytes:
        """Concatenated hashes of ``count`` consecutive nodes of ``level`` (for tiles)."""
        if count < 0 or start < 0 or self.level_count(level) < start + count:
            raise KeyError((level, start + count - 1))
        if count == 0:
            return b""
        return bytes(self._levels[level][start * HASH_SIZE : (start + count) * HASH_SIZE])

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        levels = self._levels
        for level, index, value in nodes:
            # Fast path: the next node of an existing level.
            if 0 <= level < len(levels):
                buf = levels[level]
                if len(buf) == index * HASH_SIZE and len(value) == HASH_SIZE:
                    buf += value
                    continue
            if len(value) != HASH_SIZE or level < 0 or index < 0:
                raise ValueError(f"bad node ({level}, {index})")
            while len(levels) <= level:
                levels.append(bytearray())
            buf = levels[level]
            off = index * HASH_SIZE
            if off == len(buf):
                buf += value
            elif off < len(buf):
                if buf[off : off + HASH_SIZE] != value:
                    raise ValueError(f"node ({level}, {index}) already stored with another hash")
            else:
                raise ValueError(f"node ({level}, {index}) would leave a gap")


class _GetterStore:
    """Read-only store around a ``(level, index) -> bytes`` callable."""

    __slots__ = ("_getter",)

    def __init__(self, getter: Callable[[int, int], bytes]) -> None:
        self._getter = getter

    def get(self, level: int, index: int) -> bytes:
        return self._getter(level, index)

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        raise TypeError("read-only node getter")


Source = NodeStore | Callable[[int, int], bytes] | Sequence[bytes]


def _as_store(source: Source, size: int) -> NodeStore:
    """A store from a NodeStore, a node getter callable, or a list of leaf hashes."""
    if hasattr(source, "get") and hasattr(source, "put_many"):  # a NodeStore (cheaper than isinstance)
        return source
    if callable(source):
        return _GetterStore(source)
    if isinstance(source, (bytes, bytearray, memoryview, str)):
        raise TypeError("expected a NodeStore, a node getter or a sequence of leaf hashes")
    if len(source) < size:
        raise ValueError(f"only {len(source)} leaf hashes for a tree of size {size}")
    store = MemoryNodeStore()
    append_leaves(store, 0, source[:size])
    return store


def _fetch(store: NodeStore, keys: Sequence[tuple[int, int]]) -> list[bytes]:
    get_many = getattr(store, "get_many", None)
    values = get_many(keys) if get_many is not None else [store.get(lv, ix) for lv, ix in keys]
    if len(values) != len(keys) or not all(_is_hash(v) for v in values):
        raise ValueError("node store returned malformed hashes")
    return values


def _hash_ranges(store: NodeStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """``MTH(D[a:b])`` for each subtree range, with one batched node fetch."""
    groups = [subtree_nodes(a, b) for a, b in ranges]
    values = _fetch(store, [key for group in groups for key in group])
    out = []
    pos = 0
    for group in groups:
        n = len(group)
        out.append(values[pos] if n == 1 else _fold(values[pos : pos + n]))
        pos += n
    return out


# --------------------------------------------------------------------------- building


def append_leaves(
    store: NodeStore,
    size: int,
    leaf_hashes: Iterable[bytes],
    *,
    chunk: int = 65536,
    border: list[bytes] | None = None,
) -> int:
    """Append leaf hashes to a tree of ``size`` leaves; return the new size.

    Stores each leaf hash (level 0) and every node (level >= 1) that becomes
    complete, i.e. ~2 nodes and ~1 hash computation per leaf. Reads only the
    O(log n) right-border nodes of the current tree (the perfect subtrees of
    ``subtree_nodes(0, size)``), once, and writes through ``store.put_many`` in
    chunks of at most ``chunk`` leaves. A writer that keeps ``border`` (those
    hashes, left to right) across calls skips even that read; the list is
    updated in place. The caller owns atomicity (e.g. one database transaction
    around the call) and must not append to the same tree concurrently.
    """
    size = _check_size(size, "size")
    if border is None:
        border = _fetch(store, subtree_nodes(0, size)) if size else []
    elif len(border) != size.bit_count():
        raise ValueError("border does not match the tree size")
    pending: list[tuple[int, int, bytes]] = []
    put = pending.append
    index = size
    sha = _sha256
    prefix = _NODE_PREFIX
    for h in leaf_hashes:
        if h.__class__ is not bytes or len(h) != HASH_SIZE:
            h = _check_hash(h, "leaf hash")
        put((0, index, h))
        i = index
        level = 0
        while i & 1:
            h = sha(prefix + border.pop() + h).digest()
            i >>= 1
            level += 1
            put((level, i, h))
        border.append(h)
        index += 1
        if len(pending) >= 2 * chunk:
            store.put_many(pending)
            pending = []
            put = pending.append
    if index >= MAX_SIZE:
        raise ValueError("tree too large")
    if pending:
        store.put_many(pending)
    return index


def root(source: Source, size: int) -> bytes:
    """Merkle Tree Hash of the first ``size`` leaves (``SHA-256("")`` when empty)."""
    size = _check_size(size, "size")
    if size == 0:
        return EMPTY_ROOT
    return _hash_ranges(_as_store(source, size), [(0, size)])[0]


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Subtree ranges of the RFC 6962 ``PATH(index, D[0:size])``, leaf first."""
    ranges = []
    start, end = 0, size
    while end - start > 1:
        k = _split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def inclusion_proof(source: Source, index: int, size: int) -> list[bytes]:
    """Audit path for leaf ``index`` (0-based) in the tree of ``size`` leaves.

    ``source`` is a :class:`NodeStore`, a ``(level, index) -> bytes`` getter, or
    a sequence of leaf hashes.
    """
    size = _check_size(size, "size")
    index = _check_size(index, "index")
    if index >= size:
        raise ValueError(f"leaf index {index} not in a tree of size {size}")
    ranges = _inclusion_ranges(index, size)
    if not ranges:
        return []
    return _hash_ranges(_as_store(source, size), ranges)


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Subtree ranges of the RFC 6962 ``SUBPROOF(old, D[0:new], true)``, bottom first."""
    ranges = []
    start, width, m = 0, new_size, old_size
    complete = True  # RFC 6962 "b": still on the old tree's own root path
    while m != width:
        k = _split_point(width)
        if m <= k:
            ranges.append((start + k, start + width))
            width = k
        else:
            ranges.append((start, start + k))
            start += k
            width -= k
            m -= k
            complete = False
    ranges.reverse()
    if not complete:
        ranges.insert(0, (start, start + width))
    return ranges


def consistency_proof(source: Source, old_size: int, new_size: int) -> list[bytes]:
    """RFC 6962 consistency proof between the trees of ``old_size`` and ``new_size`` leaves.

    Empty when ``old_size`` is 0 or equals ``new_size`` (nothing to prove).
    """
    old_size = _check_size(old_size, "old_size")
    new_size = _check_size(new_size, "new_size")
    if old_size > new_size:
        raise ValueError("old_size is larger than new_size")
    if old_size == 0 or old_size == new_size:
        return []
    return _hash_ranges(_as_store(source, new_size), _consistency_ranges(old_size, new_size))


# --------------------------------------------------------------------------- verifying


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """Root implied by an inclusion proof (RFC 9162 §2.1.3.2), or None if malformed."""
    try:
        index = _check_size(index, "index")
        size = _check_size(size, "size")
    except ValueError:
        return None
    if index >= size or not _is_hash(leaf) or isinstance(proof, (bytes, bytearray, str)):
        return None
    try:
        proof = list(proof)
    except TypeError:
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0 or not _is_hash(p):
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf hash ``leaf`` at ``index`` under ``root``?

    Never raises on hostile input: malformed arguments simply fail.
    """
    computed = root_from_inclusion_proof(leaf, index, size, proof)
    return computed is not None and _is_hash(root) and hmac.compare_digest(computed, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree ``new_root`` (``new_size``) an extension of ``old_root``?

    Trivial cases: equal sizes need an empty proof and equal roots; an empty old
    tree needs an empty proof and ``old_root == SHA-256("")``. Never raises on
    hostile input: malformed arguments simply fail.
    """
    try:
        old_size = _check_size(old_size, "old_size")
        new_size = _check_size(new_size, "new_size")
    except ValueError:
        return False
    if not (_is_hash(old_root) and _is_hash(new_root)) or isinstance(proof, (bytes, bytearray, str)):
        return False
    try:
        proof = list(proof)
    except TypeError:
        return False
    if not all(_is_hash(p) for p in proof) or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not proof:
        return False
    # 2. If first is an exact power of 2, prepend first_hash to the path.
    if old_size & (old_size - 1) == 0:
        proof.insert(0, old_root)
    # 3-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = proof[0]
    # 6.
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 7.
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


# --------------------------------------------------------------------------- convenience


class MerkleTree:
    """A log's tree: a :class:`NodeStore` plus the current size.

    The store does not know the size (the storage layer records it next to the
    signed checkpoints), so it is passed in when an existing tree is reopened.
    """

    __slots__ = ("store", "_size", "_border")

    def __init__(self, store: NodeStore | None = None, size: int | None = None) -> None:
        self.store: NodeStore = store if store is not None else MemoryNodeStore()
        if size is None:
            size = getattr(self.store, "size", 0)
        self._size = _check_size(size, "size")
        self._border: list[bytes] | None = None  # perfect-subtree hashes of the current tree

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return self._size

    def append_leaf_hashes(self, hashes: Iterable[bytes]) -> int:
        """Append precomputed leaf hashes; return the new size."""
        if self._border is None:
            self._border = _fetch(self.store, subtree_nodes(0, self._size)) if self._size else []
        try:
            self._size = append_leaves(self.store, self._size, hashes, border=self._border)
        except BaseException:
            self._border = None  # may be half-updated; refetch next time
            raise
        return self._size

    def append(self, entry: bytes) -> int:
        """Append one entry (hashed as a leaf); return its index."""
        index = self._size
        self.append_leaf_hashes([leaf_hash(entry)])
        return index

    def extend(self, entries: Iterable[bytes]) -> int:
        """Append entries (hashed as leaves); return the new size."""
        return self.append_leaf_hashes(leaf_hash(e) for e in entries)

    def _bound(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not isinstance(size, int) or not 0 <= size <= self._size:
            raise ValueError(f"size {size} is beyond the tree's {self._size} leaves")
        return size

    def leaf_hash(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        return self.store.get(0, index)

    def root(self, size: int | None = None) -> bytes:
        size = self._bound(size)
        if size == self._size and self._border:
            return _fold(self._border)
        return root(self.store, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self.store, index, self._bound(size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_proof(self.store, old_size, self._bound(new_size))

    def tile(self, level: int, index: int, size: int | None = None) -> bytes:
        """Contents of tile ``(level, index)`` as of tree ``size`` (default: now)."""
        width = tile_width(level, index, self._bound(size))
        if width == 0:
            raise KeyError((level, index))
        return tile_bytes(self.store, level, index, width)


# --------------------------------------------------------------------------- tiles


class TileRef(NamedTuple):
    """A parsed C2SP tlog-tiles path. ``width`` is 256 for a full tile."""

    level: int  # -1 for an entry bundle (tile/entries/...)
    index: int  # type: ignore[assignment]  # the tile's index, shadowing tuple.index by design
    width: int

    @property
    def is_entries(self) -> bool:
        return self.level == -1

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        width = None if self.width == TILE_WIDTH else self.width
        if self.is_entries:
            return entries_path(self.index, width)
        return tile_path(self.level, self.index, width)


def _encode_tile_index(index: int) -> str:
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ValueError("tile index must be a non-negative integer")
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(parts))


def _width_suffix(width: int | None) -> str:
    if width is None or width == TILE_WIDTH:
        return ""
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width < TILE_WIDTH:
        raise ValueError("partial tile width must be in 1..255")
    return f".p/{width}"


def tile_path(level: int, index: int, width: int | None = None) -> str:
    """C2SP tlog-tiles path of a hash tile, e.g. ``tile/0/x001/x234/067`` or ``tile/1/005.p/17``.

    ``width`` None (or 256) means a full tile; 1..255 a partial one.
    """
    if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 63:
        raise ValueError("tile level must be in 0..63")
    return f"tile/{level}/{_encode_tile_index(index)}{_width_suffix(width)}"


def entries_path(index: int, width: int | None = None) -> str:
    """C2SP tlog-tiles path of an entry bundle, e.g. ``tile/entries/x001/234.p/9``."""
    return f"tile/entries/{_encode_tile_index(index)}{_width_suffix(width)}"


_TILE_PATH_RE = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})(?:\.p/(?P<width>[1-9][0-9]{0,2}))?",
    re.ASCII,
)


def parse_tile_path(path: str) -> TileRef:
    """Parse a canonical tile or entry-bundle path (without the log prefix).

    Raises ``ValueError`` for anything :func:`tile_path` / :func:`entries_path`
    would not produce (leading ``x000`` groups, level > 63, width 0 or >= 256...).
    """
    m = _TILE_PATH_RE.fullmatch(path)
    if m is None:
        raise ValueError(f"not a tile path: {path!r}")
    level = -1 if m["level"] == "entries" else int(m["level"])
    index = int(m["index"].replace("x", "").replace("/", ""))
    width = int(m["width"]) if m["width"] else TILE_WIDTH
    if level > 63 or (m["width"] and width >= TILE_WIDTH):
        raise ValueError(f"not a tile path: {path!r}")
    ref = TileRef(level, index, width)
    if ref.path != path:
        raise ValueError(f"non-canonical tile path: {path!r}")
    return ref


def tile_width(level: int, index: int, size: int) -> int:
    """Number of hashes in tile ``(level, index)`` for a tree of ``size`` leaves.

    256 for a full tile, 1..255 for the partial tile, 0 if the tile does not
    exist at that size. The same rule gives the entry-bundle width at level 0.
    """
    size = _check_size(size, "size")
    available = (size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH
    return max(0, min(TILE_WIDTH, available))


def tile_bytes(store: NodeStore, level: int, index: int, width: int = TILE_WIDTH) -> bytes:
    """Contents of a (possibly partial) hash tile: ``width`` hashes of tree level ``8 * level``.

    The caller checks that ``width`` matches a tree size it has published (see
    :func:`tile_width`).
    """
    if not isinstance(width, int) or not 1 <= width <= TILE_WIDTH:
        raise ValueError("tile width must be in 1..256")
    if not 0 <= level <= 63 or index < 0:
        raise ValueError("bad tile coordinates")
    tree_level = TILE_HEIGHT * level
    start = index * TILE_WIDTH
    get_range = getattr(store, "get_range", None)
    if get_range is not None:
        return get_range(tree_level, start, width)
    return b"".join(_fetch(store, [(tree_level, start + i) for i in range(width)]))
