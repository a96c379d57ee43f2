-- Fencing numbers (issue 17): every change of a lease's holder increments `fence`; leased work
-- re-checks (holder, fence, not expired) in the transaction that writes, so a holder that lost
-- its lease (paused, partitioned, clock off) cannot commit late work under a number it no
-- longer owns. Releasing a lease expires it rather than deleting it, so the number never goes back.
ALTER TABLE leases ADD COLUMN fence BIGINT NOT NULL DEFAULT 1;
