-- The channel a product was ordered through, a column of the product list (R33): `portal` (the
-- web portal, shown as "Plateforme") or `api` (the REST API, a vendor's software). Products
-- ordered before this column existed were all ordered through the portal's API routes; they
-- keep the default.
ALTER TABLE products ADD COLUMN channel TEXT NOT NULL DEFAULT 'portal';
