-- An order and its certificate are one unit (issue 15, points 9–11). The product is recorded
-- `pending` in the same transaction as the CA's pending certificate row, before the CA key signs,
-- and becomes `issued` in the same transaction as the signed certificate: a crash cannot leave a
-- certificate without its product. A pending order the process never finished ends `abandoned`,
-- with its certificate row (which nobody received).
--
-- products.state: pending | issued | revoked | abandoned
--
-- Which process recorded a pending certificate: `owner_boot` is a random id drawn at each
-- process start, `owner_node` the node a serving process claimed (host and listen address: two
-- live processes cannot hold the same one). A pending row whose owner is provably gone (an
-- earlier boot of the same node, or this process when the issuance is no longer in flight) is
-- settled at once instead of after the grace period; rows of other nodes wait for the grace.
ALTER TABLE ca_certificates ADD COLUMN owner_node TEXT;
ALTER TABLE ca_certificates ADD COLUMN owner_boot TEXT;
