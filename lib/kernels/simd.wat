;; The fused kernels' hot loops in WebAssembly SIMD (lib/kernels/simd.ts
;; compiles this with wabt and every thread instantiates it on the tfjs-wasm
;; heap). Each function does exactly the float64 arithmetic of its JS twin
;; in lib/kernels/tasks.ts, two elements at a time in f64x2 lanes: values
;; are float32 loads promoted to float64, sums run in two lanes (even and
;; odd elements, as the JS loops' two accumulators), results are rounded to
;; float32 once. So the two paths agree bit for bit (tests/simd_test.ts),
;; about twice as fast as V8's scalar code here.
;;
;; Pointers are byte offsets into the heap; counts are elements.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Two float32 at $p as float64 lanes.
  (func $load2 (param $p i32) (result v128)
    (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $p))))
  ;; Two float64 lanes rounded to float32 at $p.
  (func $store2 (param $p i32) (param $v v128)
    (v128.store64_lane align=4 0 (local.get $p) (f32x4.demote_f64x2_zero (local.get $v))))
  (func $load1 (param $p i32) (result f64) (f64.promote_f32 (f32.load (local.get $p))))
  (func $store1 (param $p i32) (param $v f64) (f32.store (local.get $p) (f32.demote_f64 (local.get $v))))
  ;; Lane 0 plus lane 1.
  (func $lanes (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; u[i] = c2 x + ca x^3 for i in [lo, hi) (GELU's sigmoid argument).
  (func (export "geluArg") (param $x i32) (param $u i32) (param $lo i32) (param $hi i32)
    (param $c2 f64) (param $ca f64)
    (local $i i32) (local $o i32) (local $v v128) (local $s f64)
    (local.set $i (local.get $lo))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $hi)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $v (call $load2 (i32.add (local.get $x) (local.get $o))))
      (call $store2 (i32.add (local.get $u) (local.get $o))
        (f64x2.add (f64x2.mul (f64x2.splat (local.get $c2)) (local.get $v))
          (f64x2.mul (f64x2.mul (f64x2.mul (f64x2.splat (local.get $ca)) (local.get $v))
            (local.get $v)) (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $i) (local.get $hi)) (then
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $s (call $load1 (i32.add (local.get $x) (local.get $o))))
      (call $store1 (i32.add (local.get $u) (local.get $o))
        (f64.add (f64.mul (local.get $c2) (local.get $s))
          (f64.mul (f64.mul (f64.mul (local.get $ca) (local.get $s)) (local.get $s)) (local.get $s)))))))

  ;; One GELU gradient value (float64): dy 0.5 (1 + th + x (1 - th^2) c (1 + a3 x^2)).
  (func $geluGrad2 (param $d v128) (param $v v128) (param $th v128) (param $c f64) (param $a3 f64)
    (result v128)
    (local $one v128)
    (local.set $one (f64x2.splat (f64.const 1)))
    (f64x2.mul (f64x2.mul (local.get $d) (f64x2.splat (f64.const 0.5)))
      (f64x2.add (f64x2.add (local.get $one) (local.get $th))
        (f64x2.mul
          (f64x2.mul (f64x2.mul (local.get $v)
            (f64x2.sub (local.get $one) (f64x2.mul (local.get $th) (local.get $th))))
            (f64x2.splat (local.get $c)))
          (f64x2.add (local.get $one)
            (f64x2.mul (f64x2.mul (f64x2.splat (local.get $a3)) (local.get $v)) (local.get $v)))))))

  ;; dx[i] = GELU'(x[i]) dy[i] from s = sigmoid(2u) (th = 2 s - 1), i in [lo, hi).
  (func (export "geluGrad") (param $dy i32) (param $x i32) (param $s i32) (param $dx i32)
    (param $lo i32) (param $hi i32) (param $c f64) (param $a3 f64)
    (local $i i32) (local $o i32) (local $r v128)
    (local.set $i (local.get $lo))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $hi)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (call $store2 (i32.add (local.get $dx) (local.get $o))
        (call $geluGrad2
          (call $load2 (i32.add (local.get $dy) (local.get $o)))
          (call $load2 (i32.add (local.get $x) (local.get $o)))
          (f64x2.sub (f64x2.mul (f64x2.splat (f64.const 2)) (call $load2 (i32.add (local.get $s) (local.get $o))))
            (f64x2.splat (f64.const 1)))
          (local.get $c) (local.get $a3)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $i) (local.get $hi)) (then
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $r
        (call $geluGrad2
          (f64x2.splat (call $load1 (i32.add (local.get $dy) (local.get $o))))
          (f64x2.splat (call $load1 (i32.add (local.get $x) (local.get $o))))
          (f64x2.splat (f64.sub (f64.mul (f64.const 2) (call $load1 (i32.add (local.get $s) (local.get $o))))
            (f64.const 1)))
          (local.get $c) (local.get $a3)))
      (call $store1 (i32.add (local.get $dx) (local.get $o)) (f64x2.extract_lane 0 (local.get $r))))))

  ;; out[i] = x[i] + y[i] (float32, correctly rounded as every float32 add) for i in [lo, hi).
  (func (export "addF32") (param $x i32) (param $y i32) (param $out i32) (param $lo i32) (param $hi i32)
    (local $i i32) (local $o i32)
    (local.set $i (local.get $lo))
    (block $done (loop $quads
      (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $hi)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (v128.store align=4 (i32.add (local.get $out) (local.get $o))
        (f32x4.add (v128.load align=4 (i32.add (local.get $x) (local.get $o)))
          (v128.load align=4 (i32.add (local.get $y) (local.get $o)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $quads)))
    (block $done (loop $ones
      (br_if $done (i32.ge_s (local.get $i) (local.get $hi)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (f32.store (i32.add (local.get $out) (local.get $o))
        (f32.add (f32.load (i32.add (local.get $x) (local.get $o))) (f32.load (i32.add (local.get $y) (local.get $o)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $ones))))

  ;; out[i] = x[i] y[i] (float32) for i in [lo, hi).
  (func (export "mulF32") (param $x i32) (param $y i32) (param $out i32) (param $lo i32) (param $hi i32)
    (local $i i32) (local $o i32)
    (local.set $i (local.get $lo))
    (block $done (loop $quads
      (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $hi)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (v128.store align=4 (i32.add (local.get $out) (local.get $o))
        (f32x4.mul (v128.load align=4 (i32.add (local.get $x) (local.get $o)))
          (v128.load align=4 (i32.add (local.get $y) (local.get $o)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $quads)))
    (block $done (loop $ones
      (br_if $done (i32.ge_s (local.get $i) (local.get $hi)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (f32.store (i32.add (local.get $out) (local.get $o))
        (f32.mul (f32.load (i32.add (local.get $x) (local.get $o))) (f32.load (i32.add (local.get $y) (local.get $o)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $ones))))

  ;; Sum of squares of n float32 at $g (float64; even and odd elements in two lanes).
  (func (export "sumSquares") (param $g i32) (param $n i32) (result f64)
    (local $j i32) (local $v v128) (local $acc v128) (local $t f64)
    (local.set $acc (f64x2.splat (f64.const 0)))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
      (local.set $v (call $load2 (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $j) (local.get $n)) (then
      (local.set $t (call $load1 (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $acc (f64x2.replace_lane 0 (local.get $acc)
        (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64.mul (local.get $t) (local.get $t)))))))
    (call $lanes (local.get $acc)))

  ;; Float64 lanes rounded to float32 and back (Math.fround).
  (func $fround2 (param $v v128) (result v128)
    (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $v))))

  ;; One AdamW step over n values at byte offset $o of p, g, m, v into p', m', v':
  ;; g s; m' = fround(m b1 + g c1); v' = fround(v b2 + g^2 c2);
  ;; p' = p keep - m' / (sqrt(v') / sb2 + eps) step.
  (func (export "adamw") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $po i32)
    (param $mo i32) (param $vo i32) (param $n i32) (param $scale f64) (param $b1 f64) (param $b2 f64)
    (param $sb2 f64) (param $step f64) (param $eps f64) (param $keep f64)
    (local $j i32) (local $o i32) (local $gs v128) (local $mm v128) (local $vv v128) (local $c1 f64) (local $c2 f64)
    (local.set $c1 (f64.sub (f64.const 1) (local.get $b1)))
    (local.set $c2 (f64.sub (f64.const 1) (local.get $b2)))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $gs (f64x2.mul (call $load2 (i32.add (local.get $g) (local.get $o))) (f64x2.splat (local.get $scale))))
      (local.set $mm (call $fround2 (f64x2.add
        (f64x2.mul (call $load2 (i32.add (local.get $m) (local.get $o))) (f64x2.splat (local.get $b1)))
        (f64x2.mul (local.get $gs) (f64x2.splat (local.get $c1))))))
      (local.set $vv (call $fround2 (f64x2.add
        (f64x2.mul (call $load2 (i32.add (local.get $v) (local.get $o))) (f64x2.splat (local.get $b2)))
        (f64x2.mul (f64x2.mul (local.get $gs) (local.get $gs)) (f64x2.splat (local.get $c2))))))
      (call $store2 (i32.add (local.get $mo) (local.get $o)) (local.get $mm))
      (call $store2 (i32.add (local.get $vo) (local.get $o)) (local.get $vv))
      (call $store2 (i32.add (local.get $po) (local.get $o))
        (f64x2.sub
          (f64x2.mul (call $load2 (i32.add (local.get $p) (local.get $o))) (f64x2.splat (local.get $keep)))
          (f64x2.mul
            (f64x2.div (local.get $mm)
              (f64x2.add (f64x2.div (f64x2.sqrt (local.get $vv)) (f64x2.splat (local.get $sb2)))
                (f64x2.splat (local.get $eps))))
            (f64x2.splat (local.get $step)))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    ;; An odd last value: the same arithmetic in lane 0 (lane 1 is a copy, never stored).
    (if (i32.lt_s (local.get $j) (local.get $n)) (then
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $gs (f64x2.mul (f64x2.splat (call $load1 (i32.add (local.get $g) (local.get $o))))
        (f64x2.splat (local.get $scale))))
      (local.set $mm (call $fround2 (f64x2.add
        (f64x2.mul (f64x2.splat (call $load1 (i32.add (local.get $m) (local.get $o)))) (f64x2.splat (local.get $b1)))
        (f64x2.mul (local.get $gs) (f64x2.splat (local.get $c1))))))
      (local.set $vv (call $fround2 (f64x2.add
        (f64x2.mul (f64x2.splat (call $load1 (i32.add (local.get $v) (local.get $o)))) (f64x2.splat (local.get $b2)))
        (f64x2.mul (f64x2.mul (local.get $gs) (local.get $gs)) (f64x2.splat (local.get $c2))))))
      (call $store1 (i32.add (local.get $mo) (local.get $o)) (f64x2.extract_lane 0 (local.get $mm)))
      (call $store1 (i32.add (local.get $vo) (local.get $o)) (f64x2.extract_lane 0 (local.get $vv)))
      (call $store1 (i32.add (local.get $po) (local.get $o))
        (f64.sub
          (f64.mul (call $load1 (i32.add (local.get $p) (local.get $o))) (local.get $keep))
          (f64.mul
            (f64.div (f64x2.extract_lane 0 (local.get $mm))
              (f64.add (f64.div (f64.sqrt (f64x2.extract_lane 0 (local.get $vv))) (local.get $sb2))
                (local.get $eps)))
            (local.get $step)))))))

  ;; LayerNorm of one row of E at $x into $y; mean and rstd (float32) to $mean, $rstd.
  (func (export "layerNormRow") (param $x i32) (param $w i32) (param $b i32) (param $y i32)
    (param $mean i32) (param $rstd i32) (param $E i32) (param $eps f64)
    (local $j i32) (local $o i32) (local $v v128) (local $s v128) (local $q v128)
    (local $t f64) (local $mu f64) (local $r f64) (local $c f64) (local $n f64)
    (local.set $s (f64x2.splat (f64.const 0)))
    (local.set $q (f64x2.splat (f64.const 0)))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $E)))
      (local.set $v (call $load2 (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $s (f64x2.add (local.get $s) (local.get $v)))
      (local.set $q (f64x2.add (local.get $q) (f64x2.mul (local.get $v) (local.get $v))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $j) (local.get $E)) (then
      (local.set $t (call $load1 (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $s (f64x2.replace_lane 0 (local.get $s)
        (f64.add (f64x2.extract_lane 0 (local.get $s)) (local.get $t))))
      (local.set $q (f64x2.replace_lane 0 (local.get $q)
        (f64.add (f64x2.extract_lane 0 (local.get $q)) (f64.mul (local.get $t) (local.get $t)))))))
    (local.set $n (f64.convert_i32_s (local.get $E)))
    (local.set $mu (f64.div (call $lanes (local.get $s)) (local.get $n)))
    (local.set $r (f64.div (f64.const 1) (f64.sqrt (f64.add
      (f64.max (f64.const 0) (f64.sub (f64.div (call $lanes (local.get $q)) (local.get $n))
        (f64.mul (local.get $mu) (local.get $mu))))
      (local.get $eps)))))
    (call $store1 (local.get $mean) (local.get $mu))
    (call $store1 (local.get $rstd) (local.get $r))
    (local.set $c (f64.mul (f64.neg (local.get $mu)) (local.get $r)))
    (local.set $j (i32.const 0))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $E)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (call $store2 (i32.add (local.get $y) (local.get $o))
        (f64x2.add
          (f64x2.mul
            (f64x2.add (f64x2.mul (call $load2 (i32.add (local.get $x) (local.get $o))) (f64x2.splat (local.get $r)))
              (f64x2.splat (local.get $c)))
            (call $load2 (i32.add (local.get $w) (local.get $o))))
          (call $load2 (i32.add (local.get $b) (local.get $o)))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $j) (local.get $E)) (then
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (call $store1 (i32.add (local.get $y) (local.get $o))
        (f64.add
          (f64.mul
            (f64.add (f64.mul (call $load1 (i32.add (local.get $x) (local.get $o))) (local.get $r)) (local.get $c))
            (call $load1 (i32.add (local.get $w) (local.get $o))))
          (call $load1 (i32.add (local.get $b) (local.get $o))))))))

  ;; LayerNorm's gradient for one row of E: dx to $dx; adds dy xhat to the
  ;; float64 sums at $accW and dy to those at $accB (E each).
  (func (export "layerNormGradRow") (param $dy i32) (param $x i32) (param $w i32) (param $dx i32)
    (param $accW i32) (param $accB i32) (param $mean i32) (param $rstd i32) (param $E i32)
    (local $j i32) (local $o i32) (local $a i32) (local $mu f64) (local $r f64)
    (local $d v128) (local $xh v128) (local $g v128) (local $sg v128) (local $sgx v128)
    (local $mg f64) (local $mgx f64) (local $t f64) (local $n f64)
    (local.set $mu (call $load1 (local.get $mean)))
    (local.set $r (call $load1 (local.get $rstd)))
    (local.set $sg (f64x2.splat (f64.const 0)))
    (local.set $sgx (f64x2.splat (f64.const 0)))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $E)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $a (i32.shl (local.get $j) (i32.const 3)))
      (local.set $d (call $load2 (i32.add (local.get $dy) (local.get $o))))
      (local.set $xh (f64x2.mul
        (f64x2.sub (call $load2 (i32.add (local.get $x) (local.get $o))) (f64x2.splat (local.get $mu)))
        (f64x2.splat (local.get $r))))
      (local.set $g (f64x2.mul (local.get $d) (call $load2 (i32.add (local.get $w) (local.get $o)))))
      (local.set $sg (f64x2.add (local.get $sg) (local.get $g)))
      (local.set $sgx (f64x2.add (local.get $sgx) (f64x2.mul (local.get $g) (local.get $xh))))
      (v128.store align=8 (i32.add (local.get $accW) (local.get $a))
        (f64x2.add (v128.load align=8 (i32.add (local.get $accW) (local.get $a)))
          (f64x2.mul (local.get $d) (local.get $xh))))
      (v128.store align=8 (i32.add (local.get $accB) (local.get $a))
        (f64x2.add (v128.load align=8 (i32.add (local.get $accB) (local.get $a))) (local.get $d)))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $j) (local.get $E)) (then
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $a (i32.shl (local.get $j) (i32.const 3)))
      (local.set $t (call $load1 (i32.add (local.get $dy) (local.get $o))))
      (local.set $d (f64x2.splat (local.get $t)))
      (local.set $xh (f64x2.splat (f64.mul
        (f64.sub (call $load1 (i32.add (local.get $x) (local.get $o))) (local.get $mu)) (local.get $r))))
      (local.set $g (f64x2.splat (f64.mul (local.get $t) (call $load1 (i32.add (local.get $w) (local.get $o))))))
      (local.set $sg (f64x2.replace_lane 0 (local.get $sg)
        (f64.add (f64x2.extract_lane 0 (local.get $sg)) (f64x2.extract_lane 0 (local.get $g)))))
      (local.set $sgx (f64x2.replace_lane 0 (local.get $sgx)
        (f64.add (f64x2.extract_lane 0 (local.get $sgx))
          (f64.mul (f64x2.extract_lane 0 (local.get $g)) (f64x2.extract_lane 0 (local.get $xh))))))
      (f64.store (i32.add (local.get $accW) (local.get $a))
        (f64.add (f64.load (i32.add (local.get $accW) (local.get $a)))
          (f64.mul (local.get $t) (f64x2.extract_lane 0 (local.get $xh)))))
      (f64.store (i32.add (local.get $accB) (local.get $a))
        (f64.add (f64.load (i32.add (local.get $accB) (local.get $a))) (local.get $t)))))
    (local.set $n (f64.convert_i32_s (local.get $E)))
    (local.set $mg (f64.div (call $lanes (local.get $sg)) (local.get $n)))
    (local.set $mgx (f64.div (call $lanes (local.get $sgx)) (local.get $n)))
    ;; dx = r (dy w - mg - (x - mu) r mgx)
    (local.set $j (i32.const 0))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $E)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (call $store2 (i32.add (local.get $dx) (local.get $o))
        (f64x2.mul (f64x2.splat (local.get $r))
          (f64x2.sub
            (f64x2.sub
              (f64x2.mul (call $load2 (i32.add (local.get $dy) (local.get $o)))
                (call $load2 (i32.add (local.get $w) (local.get $o))))
              (f64x2.splat (local.get $mg)))
            (f64x2.mul
              (f64x2.mul
                (f64x2.sub (call $load2 (i32.add (local.get $x) (local.get $o))) (f64x2.splat (local.get $mu)))
                (f64x2.splat (local.get $r)))
              (f64x2.splat (local.get $mgx))))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $j) (local.get $E)) (then
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (call $store1 (i32.add (local.get $dx) (local.get $o))
        (f64.mul (local.get $r)
          (f64.sub
            (f64.sub
              (f64.mul (call $load1 (i32.add (local.get $dy) (local.get $o)))
                (call $load1 (i32.add (local.get $w) (local.get $o))))
              (local.get $mg))
            (f64.mul
              (f64.mul (f64.sub (call $load1 (i32.add (local.get $x) (local.get $o))) (local.get $mu))
                (local.get $r))
              (local.get $mgx))))))))

  ;; One row of the softmax gradient: ds = p (d - sum(d p)) over the row's C
  ;; entries up to its last nonzero p; zeros after it. $ds may be $d.
  (func (export "softmaxGradRow") (param $p i32) (param $d i32) (param $ds i32) (param $C i32)
    (local $n i32) (local $j i32) (local $o i32) (local $acc v128) (local $s f64) (local $t f64)
    (local.set $n (local.get $C))
    (block $found (loop $scan
      (br_if $found (i32.le_s (local.get $n) (i32.const 0)))
      (br_if $found (f32.ne
        (f32.load (i32.add (local.get $p) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 2))))
        (f32.const 0)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $scan)))
    (local.set $acc (f64x2.splat (f64.const 0)))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $acc (f64x2.add (local.get $acc)
        (f64x2.mul (call $load2 (i32.add (local.get $d) (local.get $o)))
          (call $load2 (i32.add (local.get $p) (local.get $o))))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $j) (local.get $n)) (then
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $acc (f64x2.replace_lane 0 (local.get $acc)
        (f64.add (f64x2.extract_lane 0 (local.get $acc))
          (f64.mul (call $load1 (i32.add (local.get $d) (local.get $o)))
            (call $load1 (i32.add (local.get $p) (local.get $o)))))))))
    (local.set $s (call $lanes (local.get $acc)))
    (local.set $j (i32.const 0))
    (block $done (loop $pairs
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (call $store2 (i32.add (local.get $ds) (local.get $o))
        (f64x2.mul (call $load2 (i32.add (local.get $p) (local.get $o)))
          (f64x2.sub (call $load2 (i32.add (local.get $d) (local.get $o))) (f64x2.splat (local.get $s)))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $j) (local.get $n)) (then
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (call $store1 (i32.add (local.get $ds) (local.get $o))
        (f64.mul (call $load1 (i32.add (local.get $p) (local.get $o)))
          (f64.sub (call $load1 (i32.add (local.get $d) (local.get $o))) (local.get $s))))))
    (memory.fill (i32.add (local.get $ds) (i32.shl (local.get $n) (i32.const 2))) (i32.const 0)
      (i32.shl (i32.sub (local.get $C) (local.get $n)) (i32.const 2))))
)
