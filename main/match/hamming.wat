;; Binary-code prefilter kernels for BinaryCodeIndex (main/match/binary-index.ts).
;;
;; Compiled by main/match/build-hamming.ts into main/match/hamming-wasm.ts; rerun `npm run build:wasm`
;; after editing. The JS side owns the memory layout (query, lookup table, codes, distances, slots,
;; scores) and passes byte offsets, so the module stays layout-agnostic and growing memory never moves
;; a pointer the kernel holds.
(module
  ;; Exported rather than imported so each index owns an independent, growable memory.
  (memory (export "memory") 1)

  ;; Writes the Hamming distance between the query and each of `count` contiguous codes as a u16 at
  ;; $dist, and appends the slot number (0-based from $codes) of every code within $cap to the i32
  ;; array at $out; returns how many it appended. A negative $cap appends nothing. A code is `words`
  ;; v128s; bits past the dimension are zero in both code and query, so they never count.
  ;;
  ;; Selecting by a cap chosen beforehand (from a sample) instead of building a full histogram here
  ;; keeps the loop at memory bandwidth: a histogram increment per code made the scan ~60% slower,
  ;; while the append is a branch that is almost never taken.
  ;;
  ;; When $lut is non-zero each appended code is also given its asymmetric score (see $score), stored
  ;; as f32 at the same index under $scores. Scoring here, while the code is still in L1, costs a quarter
  ;; of scoring the same codes afterwards, when each one is a cache miss somewhere in the code array.
  (func (export "scan")
    (param $codes i32) (param $query i32) (param $words i32) (param $count i32)
    (param $dist i32) (param $cap i32) (param $out i32) (param $lut i32) (param $scores i32)
    (result i32)
    (local $slot i32) (local $w i32) (local $q i32) (local $acc v128) (local $sum v128)
    (local $d i32) (local $n i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $words) (i32.const 4)))
    (block $done
      (br_if $done (i32.eqz (local.get $count)))
      (loop $code
        ;; Per-byte popcounts accumulate in i8 lanes and are widened once per code, not per word: each
        ;; lane gains at most 8 per word, so this is exact for words <= 31 (the JS side enforces it).
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $q (local.get $query))
        (local.set $w (local.get $words))
        (loop $word
          (local.set $acc
            (i8x16.add (local.get $acc)
              (i8x16.popcnt (v128.xor (v128.load (local.get $codes)) (v128.load (local.get $q))))))
          (local.set $codes (i32.add (local.get $codes) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br_if $word (local.tee $w (i32.sub (local.get $w) (i32.const 1)))))
        ;; Wasm SIMD has no horizontal add: widen pairwise twice, fold the high half onto the low half,
        ;; then add the two remaining lanes.
        (local.set $sum (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $acc))))
        (local.set $sum
          (i32x4.add (local.get $sum)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sum) (local.get $sum))))
        (local.set $d
          (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum))))
        (i32.store16 (local.get $dist) (local.get $d))
        (if (i32.le_s (local.get $d) (local.get $cap))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $slot))
            (if (local.get $lut)
              (then
                (f32.store (i32.add (local.get $scores) (i32.shl (local.get $n) (i32.const 2)))
                  (call $score (i32.sub (local.get $codes) (local.get $stride)) (local.get $stride)
                    (local.get $lut)))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $dist (i32.add (local.get $dist) (i32.const 2)))
        (br_if $code (i32.lt_u (local.tee $slot (i32.add (local.get $slot) (i32.const 1))) (local.get $count)))))
    (local.get $n))

  ;; Asymmetric score of one code: the dot product of the float query with the code's ±1 sign vector.
  ;; Unlike Hamming distance it keeps the query's magnitudes, which ranks true neighbours far more
  ;; tightly, so fewer float vectors need fetching for the same recall. $lut holds, for each code byte
  ;; position b and byte value v, the f32 sum over its 8 bits of ±query (built by JS per query), so a
  ;; code costs one lookup per byte; four partial sums keep the f32 adds from serialising.
  (func $score (param $p i32) (param $stride i32) (param $t i32) (result f32)
    (local $stop i32) (local $x i32) (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)
    (local.set $stop (i32.add (local.get $p) (local.get $stride)))
    ;; Four code bytes per step (little-endian, so byte k is bits 8k..8k+7); table b starts at
    ;; $lut + 1024·b.
    (loop $bytes
      (local.set $x (i32.load (local.get $p)))
      (local.set $s0 (f32.add (local.get $s0)
        (f32.load (i32.add (local.get $t) (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 2))))))
      (local.set $s1 (f32.add (local.get $s1)
        (f32.load offset=1024 (i32.add (local.get $t)
          (i32.shl (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 255)) (i32.const 2))))))
      (local.set $s2 (f32.add (local.get $s2)
        (f32.load offset=2048 (i32.add (local.get $t)
          (i32.shl (i32.and (i32.shr_u (local.get $x) (i32.const 16)) (i32.const 255)) (i32.const 2))))))
      (local.set $s3 (f32.add (local.get $s3)
        (f32.load offset=3072 (i32.add (local.get $t)
          (i32.shl (i32.shr_u (local.get $x) (i32.const 24)) (i32.const 2))))))
      (local.set $t (i32.add (local.get $t) (i32.const 4096)))
      (br_if $bytes (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (local.get $stop))))
    (f32.add (f32.add (local.get $s0) (local.get $s1)) (f32.add (local.get $s2) (local.get $s3))))
)
