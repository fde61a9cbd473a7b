//! Commerce connectors: the shop's orders from CSV, pushes, Shopify and WooCommerce (being written).
