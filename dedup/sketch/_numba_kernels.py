"""numba kernels of the hashing core (optional extra ``dedup-news[fast]``).

Bit-for-bit the numpy path of :mod:`dedup.sketch.kernels`; tests hold both to the pure-Python
reference (``tests/sketch/reference.py``). All arithmetic is unsigned and explicitly typed:
numba turns mixed signed/unsigned 64-bit arithmetic into floats.

One pass per document, no intermediate arrays beyond three per-call scratch buffers:

1. *tokens* (word mode, or char mode with ``min_len > 1``): the document's tokens (runs of
   non-whitespace bytes, whitespace as Python's ``str.split`` on ASCII) of at least
   ``min_len`` bytes are copied into a scratch buffer, joined by single spaces -- exactly the
   text :func:`dedup.sketch.shingles.shingle_text` makes -- while their start/end offsets are
   recorded; token edges come from 32-byte whitespace masks (``tzcnt`` per edge, not a
   branch per byte) and tokens are copied 8 bytes at a time;
2. every shingle's bytes are hashed with ``dedup_hash32`` (8 bytes per step, one unaligned
   load each) and pre-mixed with ``fmix32`` into a small per-document array;
3. the affine32 permutations reduce that array to the signature, with the running minima in
   SIMD registers (``U32Vec`` below).
"""

from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic, models, register_model

from dedup.sketch import hashing as H

K1 = np.uint64(H.H_K1)
K2 = np.uint64(H.H_K2)
INIT = np.uint64(H.H_INIT)
M1 = np.uint64(H.F64_M1)
M2 = np.uint64(H.F64_M2)
F1 = np.uint32(H.F32_M1)
F2 = np.uint32(H.F32_M2)
U0 = np.uint64(0)
U1 = np.uint64(1)
S8 = np.uint64(8)
S29 = np.uint64(29)
S32 = np.uint64(32)
S33 = np.uint64(33)
SPACE = np.uint8(0x20)
SEP = np.uint8(0x1F)
MAXH = np.uint32(0xFFFFFFFF)

#: ASCII whitespace as ``str.split()`` sees it: \t \n \v \f \r, \x1c-\x1f and space.
WHITESPACE = np.zeros(256, dtype=np.uint8)
WHITESPACE[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = 1


@nb.njit(nogil=True, cache=True, inline="always")
def _load8(buf, q):
    # Eight byte loads or-ed together; LLVM folds them into one unaligned 64-bit load.
    # Unsigned indices skip numba's negative-index wraparound, which would block the fold.
    u = np.uint64(q)
    return (
        np.uint64(buf[u])
        | (np.uint64(buf[u + np.uint64(1)]) << np.uint64(8))
        | (np.uint64(buf[u + np.uint64(2)]) << np.uint64(16))
        | (np.uint64(buf[u + np.uint64(3)]) << np.uint64(24))
        | (np.uint64(buf[u + np.uint64(4)]) << np.uint64(32))
        | (np.uint64(buf[u + np.uint64(5)]) << np.uint64(40))
        | (np.uint64(buf[u + np.uint64(6)]) << np.uint64(48))
        | (np.uint64(buf[u + np.uint64(7)]) << np.uint64(56))
    )


@nb.njit(nogil=True, cache=True, inline="always")
def _round(h, w, m):
    """One 8-byte step of dedup_hash32 when ``m > 0`` bytes remain, else ``h`` unchanged.

    Written as a select, not a branch: shingle lengths vary, and a mispredicted loop exit per
    shingle costs more than the arithmetic of a step that is thrown away.
    """
    x = (h ^ w) * K2
    x ^= x >> S29
    return x if m > 0 else h


@nb.njit(nogil=True, cache=True, inline="always")
def _finish(h):
    h ^= h >> S33
    h *= M1
    h ^= h >> S33
    h *= M2
    h ^= h >> S33
    return np.uint32(h >> S32)


@nb.njit(nogil=True, cache=True, inline="always")
def _word(buf, p, m):
    """The next (up to) 8 bytes at buf[p]; ``m`` bytes remain. Reads 8 bytes (callers pad)."""
    keep = min(max(m, 1), 8)  # m <= 0: the step is discarded anyway
    return _load8(buf, p) & (~U0 >> (S8 * np.uint64(8 - keep)))


@nb.njit(nogil=True, cache=True, inline="always")
def _hash32(buf, s, n):
    """dedup_hash32 of buf[s:s+n]; reads up to 31 bytes past the end (callers pad)."""
    h = (np.uint64(n) * K1) ^ INIT
    if n <= 8:  # single words: one step (a branch that is predictable for a given n-gram size)
        return _finish(_round(h, _word(buf, s, n), n))
    for j in range(0, n, 32):  # one pass for shingles up to 32 bytes: predictable
        q = s + j
        m = n - j
        h = _round(h, _word(buf, q, m), m)
        h = _round(h, _word(buf, q + 8, m - 8), m - 8)
        h = _round(h, _word(buf, q + 16, m - 16), m - 16)
        h = _round(h, _word(buf, q + 24, m - 24), m - 24)
    return _finish(h)


@nb.njit(nogil=True, cache=True, inline="always")
def _fmix32(x):
    x ^= x >> np.uint32(16)
    x = np.uint32(x * F1)
    x ^= x >> np.uint32(13)
    x = np.uint32(x * F2)
    x ^= x >> np.uint32(16)
    return x


# ------------------------------------------------------------ SIMD permutation state
#
# The signature of a document is kept as LLVM vectors of uint32 lanes (one lane per
# permutation) while its shingles stream by: for every shingle hash x, ``s = min(s, a*x + b)``
# lane-wise. A ``<128 x i32>`` value lives in 8 zmm registers with AVX-512 (16 ymm on AVX2,
# where LLVM reloads a/b from the stack), so there is no per-shingle load or store, no
# horizontal reduction and no scalar tail. numba has no vector type: ``U32Vec`` below is one
# (a primitive value of LLVM vector type) and the intrinsics are its only operations.
# Permutation arrays handed to these kernels are padded with zeros to a multiple of
# ``LANES`` (see ``kernels.padded_permutations``); padded lanes are computed and dropped.

LANES = 16  #: lanes of the small vector; permutations are padded to a multiple of it
WIDE = 128  #: lanes of the wide vector (the default ``num_perm``)


class U32Vec(types.Type):
    """A SIMD vector of ``lanes`` uint32 values (an LLVM ``<lanes x i32>``)."""

    def __init__(self, lanes: int) -> None:
        self.lanes = lanes
        super().__init__(name=f"u32x{lanes}")


@register_model(U32Vec)
class _U32VecModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):  # type: ignore[no-untyped-def]
        super().__init__(dmm, fe_type, ir.VectorType(ir.IntType(32), fe_type.lanes))


def _vector_ops(lanes: int):  # type: ignore[no-untyped-def]
    """``(vload, vstore, vfull, vstep)`` intrinsics for ``lanes``-wide uint32 vectors."""
    vty = U32Vec(lanes)
    llty = ir.VectorType(ir.IntType(32), lanes)

    def _ptr(context, builder, arrty, arr, k, kty):  # type: ignore[no-untyped-def]
        ary = context.make_array(arrty)(context, builder, arr)
        k = context.cast(builder, k, kty, types.intp)
        return builder.bitcast(builder.gep(ary.data, [k]), llty.as_pointer())

    @intrinsic
    def vload(typingctx, arr, k):  # type: ignore[no-untyped-def]
        """``arr[k:k+lanes]`` as a vector (no bounds check: callers pad)."""

        def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
            ptr = _ptr(context, builder, sig.args[0], args[0], args[1], sig.args[1])
            return builder.load(ptr, align=4)

        return vty(arr, k), codegen

    @intrinsic
    def vstore(typingctx, arr, k, v):  # type: ignore[no-untyped-def]
        """``arr[k:k+lanes] = v`` (no bounds check: callers pad)."""

        def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
            ptr = _ptr(context, builder, sig.args[0], args[0], args[1], sig.args[1])
            builder.store(args[2], ptr, align=4)
            return context.get_dummy_value()

        return types.void(arr, k, vty), codegen

    def _splat(builder, x):  # type: ignore[no-untyped-def]
        i32 = ir.IntType(32)
        v = builder.insert_element(ir.Constant(llty, ir.Undefined), x, i32(0))
        return builder.shuffle_vector(
            v, ir.Constant(llty, ir.Undefined), ir.Constant(llty, [0] * lanes)
        )

    @intrinsic
    def vfull(typingctx, x):  # type: ignore[no-untyped-def]
        """A vector with ``x`` (uint32) in every lane."""

        def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
            return _splat(builder, context.cast(builder, args[0], sig.args[0], types.uint32))

        return vty(x), codegen

    @intrinsic
    def vstep(typingctx, s, a, b, x):  # type: ignore[no-untyped-def]
        """``min(s, a * x + b)`` lane-wise, uint32 arithmetic mod 2**32; x is a scalar."""

        def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
            sv, av, bv, xv = args
            xs = _splat(builder, context.cast(builder, xv, sig.args[3], types.uint32))
            t = builder.add(builder.mul(av, xs), bv)
            return builder.select(builder.icmp_unsigned("<", t, sv), t, sv)

        return vty(vty, vty, vty, x), codegen

    return vload, vstore, vfull, vstep


_vload_w, _vstore_w, _vfull_w, _vstep_w = _vector_ops(WIDE)
_vload_s, _vstore_s, _vfull_s, _vstep_s = _vector_ops(LANES)


@nb.njit(nogil=True, cache=True, inline="always")
def _minimize(sig, xs, count, a, b, acc):
    """``sig[k] = min_i (a[k] * xs[i] + b[k])``, ``2**32 - 1`` when ``count == 0``.

    ``a``, ``b`` and the scratch ``acc`` are padded to a multiple of ``LANES``. Lanes go by
    ``WIDE`` (8 zmm registers of running minima) while that many are left, then by ``LANES``.
    """
    p = a.shape[0]
    k = 0
    while k + WIDE <= p:
        aw = _vload_w(a, k)
        bw = _vload_w(b, k)
        s = _vfull_w(MAXH)
        for i in range(count):
            s = _vstep_w(s, aw, bw, xs[i])
        _vstore_w(acc, k, s)
        k += WIDE
    while k < p:
        av = _vload_s(a, k)
        bv = _vload_s(b, k)
        t = _vfull_s(MAXH)
        for i in range(count):
            t = _vstep_s(t, av, bv, xs[i])
        _vstore_s(acc, k, t)
        k += LANES
    for j in range(sig.shape[0]):
        sig[j] = acc[j]


@intrinsic
def _ws_mask32(typingctx, buf, pos):  # type: ignore[no-untyped-def]
    """Bit k set when ``buf[pos + k]`` is ASCII whitespace as ``str.split`` sees it (k < 32).

    One 32-byte vector load and three compares: space, ``\\t``-``\\r`` (0x09-0x0d) and
    ``\\x1c``-``\\x1f``. Reads 32 bytes from ``pos``: callers pad.
    """

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        i8, i32, i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
        v = ir.VectorType(i8, 32)
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        k = context.cast(builder, args[1], sig.args[1], types.intp)
        ptr = builder.bitcast(builder.gep(ary.data, [k]), v.as_pointer())
        c = builder.load(ptr, align=1)

        def splat(x):  # type: ignore[no-untyped-def]
            return ir.Constant(v, [x] * 32)

        sp = builder.icmp_unsigned("==", c, splat(0x20))
        ctl = builder.icmp_unsigned("<", builder.sub(c, splat(0x09)), splat(5))
        sep = builder.icmp_unsigned("<", builder.sub(c, splat(0x1C)), splat(4))
        bits = builder.or_(sp, builder.or_(ctl, sep))
        return builder.zext(builder.bitcast(bits, i32), i64)

    return types.uint64(buf, pos), codegen


@intrinsic
def _ctz(typingctx, x):  # type: ignore[no-untyped-def]
    """Trailing zero bits of a nonzero uint64 (``tzcnt``)."""

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        i1, i64 = ir.IntType(1), ir.IntType(64)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64, i1]), "llvm.cttz.i64"
        )
        return builder.call(fn, [args[0], i1(1)])

    return types.int64(types.uint64), codegen


@intrinsic
def _store8(typingctx, arr, pos, v):  # type: ignore[no-untyped-def]
    """``arr[pos:pos+8] = v`` (uint64, little-endian; one unaligned store, no bounds check)."""

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        k = context.cast(builder, args[1], sig.args[1], types.intp)
        ptr = builder.bitcast(builder.gep(ary.data, [k]), ir.IntType(64).as_pointer())
        builder.store(args[2], ptr, align=1)
        return context.get_dummy_value()

    return types.void(arr, pos, types.uint64), codegen


@nb.njit(nogil=True, cache=True, inline="always")
def _keep_token(buf, ts, te, min_len, scratch, p, nt, tstart, tend):
    """Append ``buf[ts:te]`` and a space to ``scratch`` at ``p`` when long enough (8 bytes a step)."""
    n = te - ts
    if n < min_len:
        return p, nt
    for j in range(0, n, 8):  # may copy up to 7 bytes past the token: overwritten or unused
        _store8(scratch, p + j, _load8(buf, ts + j))
    tstart[nt] = p
    tend[nt] = p + n
    scratch[p + n] = SPACE
    return p + n + 1, nt + 1


@nb.njit(nogil=True, cache=True, inline="always")
def _tokens_simd(buf, s0, e0, min_len, scratch, tstart, tend):
    """The document's tokens (runs of non-whitespace bytes, whitespace as ``str.split`` sees it
    on ASCII) of at least ``min_len`` bytes, copied into ``scratch`` joined by single spaces
    -- the text :func:`dedup.sketch.shingles.shingle_text` makes -- with their start/end
    offsets in ``tstart``/``tend``; returns their number and the length of the joined text.

    Boundaries come from ``tzcnt`` on the masks (one step per token edge, not per byte) and
    kept tokens are copied 8 bytes at a time. Reads up to 32 bytes past ``e0`` and writes up
    to 7 bytes past the kept text (callers pad both buffers).
    """
    p = 0
    nt = 0
    in_tok = False
    ts = s0
    pos = s0
    full = np.uint64(0xFFFFFFFF)
    while pos < e0:
        ws = _ws_mask32(buf, pos)
        rem = e0 - pos
        if rem < 32:  # bytes past the end count as whitespace
            ws |= full & ~((np.uint64(1) << np.uint64(rem)) - np.uint64(1))
        nw = full & ~ws
        k = 0
        while k < 32:
            mm = (ws if in_tok else nw) >> np.uint64(k)
            if mm == 0:
                break
            k += _ctz(mm)
            if in_tok:
                p, nt = _keep_token(buf, ts, pos + k, min_len, scratch, p, nt, tstart, tend)
            else:
                ts = pos + k
            in_tok = not in_tok
        pos += 32
    if in_tok:
        p, nt = _keep_token(buf, ts, e0, min_len, scratch, p, nt, tstart, tend)
    if nt > 0:
        p -= 1  # the space after the last kept token
    return nt, p


@nb.njit(nogil=True, cache=True)
def signatures_fused(buf, starts, ends, counts, mode, n, min_len, a, b, out):
    """Fill ``out[d]`` with the signature of document d (mode 0 word, 1 char, 2 sep)."""
    nd = starts.shape[0]
    longest = 1
    for d in range(nd):
        longest = max(longest, ends[d] - starts[d] + 1)
    xs = np.empty(longest + 1, dtype=np.uint32)  # pre-mixed hashes of one document's shingles
    acc = np.empty(a.shape[0], dtype=np.uint32)
    scratch = np.zeros(longest + 40, dtype=np.uint8)  # tokens joined by single spaces
    tstart = np.empty(longest // 2 + 2, dtype=np.int64)
    tend = np.empty(longest // 2 + 2, dtype=np.int64)
    for d in range(nd):
        c = 0
        s0 = starts[d]
        e0 = ends[d]
        if mode == 2:  # caller's shingles separated by 0x1f
            if counts[d] > 0:
                q = s0
                for r in range(s0, e0):
                    if buf[r] == SEP:
                        xs[c] = _fmix32(_hash32(buf, q, r - q))
                        c += 1
                        q = r + 1
                xs[c] = _fmix32(_hash32(buf, q, e0 - q))
                c += 1
        elif mode == 1 and min_len <= 1:  # char n-grams of the text as given
            length = e0 - s0
            if length >= n:
                for q in range(s0, e0 - n + 1):
                    xs[c] = _fmix32(_hash32(buf, q, n))
                    c += 1
            elif length > 0:
                xs[c] = _fmix32(_hash32(buf, s0, length))
                c += 1
        else:
            nt, length = _tokens_simd(buf, s0, e0, min_len, scratch, tstart, tend)
            if mode == 1:  # char n-grams of the kept tokens joined by spaces
                if length >= n:
                    for q in range(length - n + 1):
                        xs[c] = _fmix32(_hash32(scratch, q, n))
                        c += 1
                elif length > 0:
                    xs[c] = _fmix32(_hash32(scratch, 0, length))
                    c += 1
            elif nt >= n:  # word n-grams
                for i in range(nt - n + 1):
                    gs = tstart[i]
                    xs[c] = _fmix32(_hash32(scratch, gs, tend[i + n - 1] - gs))
                    c += 1
            elif nt > 0:
                xs[c] = _fmix32(_hash32(scratch, 0, length))
                c += 1
        _minimize(out[d], xs, c, a, b, acc)


@nb.njit(nogil=True, cache=True)
def minimize_hashes(hashes, counts, a, b, out):
    """Signatures from per-shingle 32-bit hashes grouped by document (any shingle hash)."""
    total = hashes.shape[0]
    xs = np.empty(max(total, 1), dtype=np.uint32)
    acc = np.empty(a.shape[0], dtype=np.uint32)
    for i in range(total):
        xs[i] = _fmix32(np.uint32(hashes[i]))
    lo = 0
    for d in range(counts.shape[0]):
        c = counts[d]
        _minimize(out[d], xs[lo:], c, a, b, acc)
        lo += c


@nb.njit(nogil=True, cache=True)
def floor_kernel(xs, counts, a, b, out):
    """The arithmetic floor: only the multiply-add-min per (shingle, permutation).

    Used by ``benchmarks/hashing.py`` as the compiled reference point; ``xs`` are already
    hashed and pre-mixed.
    """
    acc = np.empty(a.shape[0], dtype=np.uint32)
    lo = 0
    for d in range(counts.shape[0]):
        c = counts[d]
        _minimize(out[d], xs[lo:], c, a, b, acc)
        lo += c


# ------------------------------------------------ shingle lists read in place (no packing)
#
# ``minhash_shingles`` gets Python lists of str/bytes. Packing them into one buffer costs
# more than hashing them, so the kernel below reads the objects where they are: it follows
# the list's item pointers and hashes each str's (compact ASCII) or bytes' data in place,
# as a C extension would with PyUnicode_DATA / PyBytes_AS_STRING. The object layout
# (offsets, type pointers, the state bits of a compact ASCII str) is measured and checked at
# import time by :func:`dedup.sketch.kernels.object_layout`; when anything does not match,
# that path is off and the packed-buffer path is used (same bits).


@intrinsic
def _peek64(typingctx, addr):
    def codegen(context, builder, signature, args):
        ptr = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        return builder.load(ptr, align=1)

    return types.uint64(types.int64), codegen


@intrinsic
def _peek32(typingctx, addr):
    def codegen(context, builder, signature, args):
        ptr = builder.inttoptr(args[0], ir.IntType(32).as_pointer())
        return builder.load(ptr, align=1)

    return types.uint32(types.int64), codegen


@intrinsic
def _prefetch(typingctx, addr):
    """``llvm.prefetch`` (read, keep in all cache levels) of the byte at ``addr``: a hint only."""

    def codegen(context, builder, signature, args):
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        ptr = builder.inttoptr(args[0], i8p)
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(types.int64), codegen


#: Shingles ahead whose string objects are prefetched: the objects of a list are scattered
#: over the heap, and hashing them one by one waits on a cache miss per shingle otherwise.
PREFETCH_AHEAD = 16


@nb.njit(nogil=True, cache=True, inline="always")
def _word_at(p, n, off):
    """Bytes off..off+7 of the n bytes at p (zero-filled), never reading past p + n.

    A partial last word is read as the 8 bytes *ending* at p + n, shifted down; for a string
    shorter than 8 bytes (or a word past the end, whose value is not used) that reads into
    the object header before the data, which is always there (the data of a str or bytes
    object starts at least 32 bytes into it). Branch-free: min/max become conditional moves.
    """
    q = min(off, n - 8)
    shift = min(max(off + 8 - n, 0), 7)
    return _peek64(p + q) >> (S8 * np.uint64(shift))


@nb.njit(nogil=True, cache=True, inline="always")
def _hash32_at(p, n):
    """dedup_hash32 of the n bytes at address p (see :func:`_word_at`).

    Shingles of up to 32 bytes -- nearly all of them -- take one straight-line path of four
    steps whose unused ones are discarded by selects: shingle lengths vary, and a
    mispredicted loop exit per shingle costs more than the discarded arithmetic.
    """
    h = (np.uint64(n) * K1) ^ INIT
    if n <= 8:
        return _finish(_round(h, _word_at(p, n, 0), n))
    if n <= 32:
        # n > 8: the first word is whole; word j >= 1 is read at min(8j, n - 8), and only the
        # partial last word (8j + 8 > n) is shifted, by the same amount for every j
        last = n - 8
        tail = S8 * np.uint64((8 - (n & 7)) & 7)
        h = _round(h, _peek64(p), n)
        h = _round(h, _peek64(p + min(8, last)) >> (tail if n < 16 else U0), n - 8)
        h = _round(h, _peek64(p + min(16, last)) >> (tail if n < 24 else U0), n - 16)
        h = _round(h, _peek64(p + min(24, last)) >> (tail if n < 32 else U0), n - 24)
        return _finish(h)
    i = 0
    while i + 8 <= n:
        h = (h ^ _peek64(p + i)) * K2
        h ^= h >> S29
        i += 8
    if i < n:
        h = (h ^ _word_at(p, n, i)) * K2
        h ^= h >> S29
    return _finish(h)


# layout vector indices (see kernels.object_layout)
L_LIST, L_TUPLE, L_STR, L_BYTES = 0, 1, 2, 3
L_TYPE, L_SIZE, L_LIST_ITEMS, L_TUPLE_ITEMS = 4, 5, 6, 7
L_STATE, L_STATE_MASK, L_STATE_ASCII, L_STR_DATA, L_BYTES_DATA = 8, 9, 10, 11, 12


@nb.njit(nogil=True, cache=True, inline="always")
def _item_hash(s, lay):
    """``fmix32(dedup_hash32(data))`` of the str/bytes object at address s, or -1.

    -1: the object is not an exact ``bytes`` or compact-ASCII ``str`` (caller falls back).
    ``lay`` is the layout as a tuple, not an array: an array argument would cost a reference
    count update (a call) per shingle, and a call clobbers the vector registers.
    """
    ts = np.int64(_peek64(s + lay[L_TYPE]))
    ln = np.int64(_peek64(s + lay[L_SIZE]))
    if ts == lay[L_STR]:
        st = np.int64(_peek32(s + lay[L_STATE]))
        if (st & lay[L_STATE_MASK]) != lay[L_STATE_ASCII]:
            return np.int64(-1)
        return np.int64(_fmix32(_hash32_at(s + lay[L_STR_DATA], ln)))
    if ts == lay[L_BYTES]:
        return np.int64(_fmix32(_hash32_at(s + lay[L_BYTES_DATA], ln)))
    return np.int64(-1)


@nb.njit(nogil=True, cache=True)
def signatures_list(docs, lo, hi, lay, a, b, out, bad):
    """Rows ``lo:hi`` of ``out``: signatures of the documents ``docs[lo:hi]``.

    ``docs`` is the address of a Python ``list`` whose items are lists/tuples of str/bytes;
    ``a``/``b`` are the padded permutations. Sets ``bad[d]`` (and leaves ``out[d]``
    undefined) for a document it cannot read in place: not a list/tuple, an item that is not
    exact str/bytes, a non-ASCII str. Returns how many.

    With ``WIDE`` padded permutations (the default 128) hashing and the permutation update are
    one loop: the running minima stay in vector registers, and the out-of-order core overlaps
    the scalar hash of the next shingle with the vector work of this one. Otherwise hashes go
    to a scratch array first.
    """
    items = np.int64(_peek64(docs + lay[L_LIST_ITEMS]))
    lt = (
        lay[0],
        lay[1],
        lay[2],
        lay[3],
        lay[4],
        lay[5],
        lay[6],
        lay[7],
        lay[8],
        lay[9],
        lay[10],
        lay[11],
        lay[12],
    )
    wide = a.shape[0] == WIDE
    longest = 1
    if not wide:
        for d in range(lo, hi):
            doc = np.int64(_peek64(items + 8 * d))
            t = np.int64(_peek64(doc + lay[L_TYPE]))
            if t == lay[L_LIST] or t == lay[L_TUPLE]:
                longest = max(longest, np.int64(_peek64(doc + lay[L_SIZE])))
    xs = np.empty(longest, dtype=np.uint32)
    acc = np.empty(a.shape[0], dtype=np.uint32)
    aw = _vload_w(a, 0) if wide else _vfull_w(0)
    bw = _vload_w(b, 0) if wide else _vfull_w(0)
    p = out.shape[1]
    n_bad = 0
    for d in range(lo, hi):
        doc = np.int64(_peek64(items + 8 * d))
        t = np.int64(_peek64(doc + lay[L_TYPE]))
        if t == lay[L_LIST]:
            base = np.int64(_peek64(doc + lay[L_LIST_ITEMS]))
        elif t == lay[L_TUPLE]:
            base = doc + lay[L_TUPLE_ITEMS]
        else:
            bad[d] = True
            n_bad += 1
            continue
        n = np.int64(_peek64(doc + lay[L_SIZE]))
        ok = True
        for i in range(min(n, PREFETCH_AHEAD)):
            _prefetch(np.int64(_peek64(base + 8 * i)))
        if wide:
            s = _vfull_w(MAXH)
            i = 0
            while i + 1 < n:  # two shingles per step: two independent hash chains side by side
                if i + PREFETCH_AHEAD + 1 < n:
                    ahead = np.int64(_peek64(base + 8 * (i + PREFETCH_AHEAD)))
                    _prefetch(ahead)
                    _prefetch(ahead + 63)
                    ahead = np.int64(_peek64(base + 8 * (i + PREFETCH_AHEAD + 1)))
                    _prefetch(ahead)
                    _prefetch(ahead + 63)
                h0 = _item_hash(np.int64(_peek64(base + 8 * i)), lt)
                h1 = _item_hash(np.int64(_peek64(base + 8 * (i + 1))), lt)
                if (h0 | h1) < 0:
                    ok = False
                    break
                s = _vstep_w(s, aw, bw, np.uint32(h0))
                s = _vstep_w(s, aw, bw, np.uint32(h1))
                i += 2
            if ok and i < n:
                h = _item_hash(np.int64(_peek64(base + 8 * i)), lt)
                if h < 0:
                    ok = False
                else:
                    s = _vstep_w(s, aw, bw, np.uint32(h))
            if ok:
                _vstore_w(acc, 0, s)
                for k in range(p):
                    out[d, k] = acc[k]
        else:
            for i in range(n):
                if i + PREFETCH_AHEAD < n:
                    ahead = np.int64(_peek64(base + 8 * (i + PREFETCH_AHEAD)))
                    _prefetch(ahead)
                    _prefetch(ahead + 63)
                h = _item_hash(np.int64(_peek64(base + 8 * i)), lt)
                if h < 0:
                    ok = False
                    break
                xs[i] = np.uint32(h)
            if ok:
                _minimize(out[d], xs, n, a, b, acc)
        if not ok:
            bad[d] = True
            n_bad += 1
    return n_bad
