//! Balie's domain: the pure types and rules of the product (identities,
//! channels, conversation states, events, time), with no I/O.

pub mod clock;
pub mod error;
pub mod hours;
pub mod identity;
pub mod kinds;
pub mod model;
pub mod order;

pub use clock::{format_rfc3339, parse_rfc3339, Clock, FixedClock, SystemClock};
pub use error::DomainError;
pub use hours::{BusinessHours, OpenStatus};
pub use identity::{normalise_identity, EmailAddress, IdentityKind, PhoneE164};
pub use kinds::{
    AuthorType, Channel, ConversationStatus, DeliveryStatus, Direction, EventKind, Priority, Role,
};
pub use model::*;
pub use order::*;
