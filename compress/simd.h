/*
 * Vector types and function multiversioning shared by the compression
 * kernels (quantizers, fidelity sums, probes).
 *
 * The kernels use GCC vector types (also understood by clang) for work
 * that is independent per lane: one sub-block, one partial sum, one probe
 * row per lane.  Vector arithmetic is IEEE arithmetic on each lane on its
 * own, so a lane computes exactly what the scalar code would, in the same
 * order; nothing is reassociated.
 *
 * MS_CLONES compiles a function twice, for baseline x86-64 and for AVX2,
 * and picks one at load time by the CPU (gcc's target_clones, an ELF
 * ifunc).  Both do the same operations, so they give the same bits.  Only
 * with gcc: clang 14's multiversioned functions cannot be called from
 * another file that sees a plain declaration, so clang builds (the
 * fuzzers) get the baseline code.  Vector values never cross a function
 * boundary that is not inlined: their ABI differs between the two builds.
 * -DMS_NO_CLONES builds the baseline code only (to test it on an AVX2
 * machine).
 */
#ifndef MS_COMPRESS_SIMD_H
#define MS_COMPRESS_SIMD_H

#include <stdint.h>

typedef float ms_v8f __attribute__((vector_size(32)));
typedef int32_t ms_v8i __attribute__((vector_size(32)));
typedef float ms_v4f __attribute__((vector_size(16)));
typedef double ms_v4d __attribute__((vector_size(32)));
typedef int64_t ms_v4l __attribute__((vector_size(32)));

#define MS_ALWAYS_INLINE inline __attribute__((always_inline))

/*
 * Hand-written x86 kernels (q8_0 quantization, fidelity sums): AVX2, FMA
 * and F16C intrinsics in functions built for that target, used when
 * ms_x86_kernels() says the CPU has all three.  Each does the same
 * floating-point operations on the same values as the portable code next
 * to it, so both give the same bits (tests/compress/test_kernels.c
 * compares them); a fused multiply-add appears only where the product is
 * exact.  -DMS_NO_CLONES leaves them out.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(MS_NO_CLONES)
#define MS_X86_KERNELS 1
#define MS_TARGET_X86 __attribute__((target("avx2,fma,f16c")))
#endif
/* 1 when the x86 kernels run here (never without MS_X86_KERNELS). */
int ms_x86_kernels(void);
/* Tests: 1 turns the x86 kernels off (the portable code runs), 0 back on. */
void ms_x86_kernels_disable(int off);

#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__) && \
    __GNUC__ >= 8 && !defined(MS_NO_CLONES)
#define MS_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#ifndef MS_CLONES
#define MS_CLONES
#endif

/*
 * MS_CLONES_EXACT_FMA: as MS_CLONES, but the second build is for x86-64-v3
 * (AVX2 and FMA) and may fuse a * b + c into one multiply-add.  Only for
 * functions whose every such product is exact (two floats multiplied in
 * double: 24 + 24 significant bits fit in 53), where fusing changes
 * nothing: the rounding of the sum is all there is.  gcc 11 and later;
 * elsewhere it is MS_CLONES.
 */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__) && \
    __GNUC__ >= 11 && !defined(MS_NO_CLONES)
#define MS_CLONES_EXACT_FMA                                                                    \
    __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#else
#define MS_CLONES_EXACT_FMA MS_CLONES
#endif

#endif
