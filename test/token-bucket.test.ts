import test from "ava";
import { TokenBucket } from "../server/domain/token-bucket.js";

test("a token bucket allows its rate a second with a one-second burst, and refills with time", (t) => {
  const bucket = new TokenBucket(3, 0);
  t.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, true, false]);
  t.false(bucket.take(300));
  t.true(bucket.take(400), "1.2 tokens after 400 ms");
  t.false(bucket.take(400));
  t.deepEqual([bucket.take(5000), bucket.take(5000), bucket.take(5000), bucket.take(5000)], [true, true, true, false], "never more than one second's worth");
});

test("a clock that steps back adds no tokens and leaves no debt", (t) => {
  const bucket = new TokenBucket(2, 10_000);
  t.true(bucket.take(10_000));
  t.true(bucket.take(10_000));
  t.false(bucket.take(5_000), "stepping back five seconds gives nothing");
  t.true(bucket.take(10_500), "half a second after the latest time seen: one token again");
});
