-- The benchmarks' workload: pgbench's tables (pgbench -i) in a publication
-- "bench", and backlog(n), pgbench's built-in TPC-B-like transaction n
-- times (3 updates and an insert, a COMMIT each) without the client round
-- trips, so a backlog is written in seconds instead of minutes.
CREATE PUBLICATION bench FOR TABLE pgbench_accounts, pgbench_tellers, pgbench_branches, pgbench_history;
CREATE PROCEDURE backlog(n int) LANGUAGE plpgsql AS $$
DECLARE a int; t int; b int; d int;
BEGIN
	FOR i IN 1..n LOOP
		a := 1 + floor(random() * 100000); t := 1 + floor(random() * 10);
		b := 1; d := floor(random() * 10001) - 5000;
		UPDATE pgbench_accounts SET abalance = abalance + d WHERE aid = a;
		UPDATE pgbench_tellers SET tbalance = tbalance + d WHERE tid = t;
		UPDATE pgbench_branches SET bbalance = bbalance + d WHERE bid = b;
		INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (t, b, a, d, now());
		COMMIT;
	END LOOP;
END $$;
