;; Hamming-distance prefilter kernel for BinaryCodeIndex (main/match/binary-index.ts).
;;
;; Compiled by main/match/build-hamming.ts into main/match/hamming-wasm.ts; rerun `npm run build:wasm`
;; after editing. The JS side owns the memory layout (query, histogram, codes, distances, slots) and
;; passes byte offsets, so the module stays layout-agnostic and growing memory never moves a pointer
;; the kernel holds.
(module
  ;; Exported rather than imported so each index owns an independent, growable memory.
  (memory (export "memory") 1)

  ;; Writes the Hamming distance between the query and each of `count` contiguous codes as a u16 at
  ;; $dist, and counts the distances into the i32 histogram at $hist (zeroed by the caller). Building
  ;; the histogram here, while the distance is still in a register, saves a second pass over the
  ;; distances, which costs as much as the scan itself in JS at 1M codes.
  ;; A code is `words` v128s; bits past the dimension are zero in both code and query, so they never
  ;; count.
  (func (export "scan")
    (param $codes i32) (param $query i32) (param $words i32) (param $count i32)
    (param $dist i32) (param $hist i32)
    (local $end i32) (local $w i32) (local $q i32) (local $acc v128) (local $sum v128)
    (local $d i32) (local $h i32)
    (local.set $end (i32.add (local.get $dist) (i32.shl (local.get $count) (i32.const 1))))
    (block $done
      (br_if $done (i32.eqz (local.get $count)))
      (loop $code
        ;; Per-byte popcounts accumulate in i8 lanes and are widened once per code, not per word:
        ;; each lane gains at most 8 per word, so this is exact for words <= 31 (the JS side enforces
        ;; it; 512 dimensions is 4 words).
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
        (local.set $h (i32.add (local.get $hist) (i32.shl (local.get $d) (i32.const 2))))
        (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
        (local.set $dist (i32.add (local.get $dist) (i32.const 2)))
        (br_if $code (i32.lt_u (local.get $dist) (local.get $end))))))

  ;; Counting-sort placement of the selected slots: every slot whose distance is below $threshold,
  ;; plus the first $ties slots at exactly $threshold, is written as an i32 to $out at the position
  ;; held in the i32 cursor table $next[distance] (prefix sums of the histogram, set by the caller),
  ;; which leaves $out ordered by distance without ever sorting. Doing this pass in wasm keeps the
  ;; per-query JS work proportional to the candidate count rather than the gallery size.
  (func (export "select")
    (param $dist i32) (param $count i32) (param $threshold i32) (param $ties i32)
    (param $next i32) (param $out i32)
    (local $i i32) (local $d i32) (local $cursor i32) (local $pos i32)
    (block $done
      (br_if $done (i32.eqz (local.get $count)))
      (loop $slot
        (local.set $d (i32.load16_u (i32.add (local.get $dist) (i32.shl (local.get $i) (i32.const 1)))))
        (if (i32.le_u (local.get $d) (local.get $threshold))
          (then
            (block $skip
              (if (i32.eq (local.get $d) (local.get $threshold))
                (then
                  (br_if $skip (i32.eqz (local.get $ties)))
                  (local.set $ties (i32.sub (local.get $ties) (i32.const 1)))))
              (local.set $cursor (i32.add (local.get $next) (i32.shl (local.get $d) (i32.const 2))))
              (local.set $pos (i32.load (local.get $cursor)))
              (i32.store (i32.add (local.get $out) (i32.shl (local.get $pos) (i32.const 2))) (local.get $i))
              (i32.store (local.get $cursor) (i32.add (local.get $pos) (i32.const 1))))))
        (br_if $slot (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $count))))))
)
