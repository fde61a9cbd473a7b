//! The storage contract: the same assertions on SQLite and PostgreSQL.

use balie_domain::{AuthorType, Channel, DeliveryStatus, Direction, EventKind, IdentityKind, Role};
use balie_storage::accounts::{self, NewAgent};
use balie_storage::contacts::{self, ContactSearch};
use balie_storage::conversations::{self, ConversationChanges, ConversationFilter, NewMessage};
use balie_storage::events::{self, NewEvent};
use balie_storage::{inboxes, teams, StorageError};
use serde_json::json;

use crate::harness::TestDb;

fn msg(conversation_id: i64, channel: Channel, text: &str) -> NewMessage<'_> {
    NewMessage {
        conversation_id,
        direction: Direction::Inbound,
        author_type: AuthorType::Contact,
        author_id: None,
        channel,
        inbox_id: None,
        text,
        external_id: None,
        delivery_status: DeliveryStatus::Delivered,
        private: false,
        attachments: Vec::new(),
    }
}

#[tokio::test]
async fn storage_migrations_are_idempotent_and_reopen_keeps_data() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let account = accounts::create_account(tx.conn(), "Shop", 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    let again = db.store().await;
    let mut conn = again.read().await.unwrap();
    assert_eq!(
        accounts::get_account(&mut conn, account.id)
            .await
            .unwrap()
            .name,
        "Shop"
    );
    assert_eq!(accounts::count_accounts(&mut conn).await.unwrap(), 1);
}

#[tokio::test]
async fn storage_rolls_back_an_uncommitted_transaction() {
    let db = TestDb::new().await;
    let store = db.store().await;
    {
        let mut tx = store.begin().await.unwrap();
        accounts::create_account(tx.conn(), "Gone", 1)
            .await
            .unwrap();
        // dropped without commit
    }
    let mut conn = store.read().await.unwrap();
    assert_eq!(accounts::count_accounts(&mut conn).await.unwrap(), 0);
}

#[tokio::test]
async fn storage_agents_are_unique_per_account_and_scoped() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let a = accounts::create_account(tx.conn(), "A", 1).await.unwrap();
    let b = accounts::create_account(tx.conn(), "B", 1).await.unwrap();
    let new = NewAgent {
        email: "x@a.nl",
        name: "X",
        role: Role::Agent,
        password_hash: Some("h"),
    };
    let agent = accounts::create_agent(tx.conn(), a.id, &new, 5)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A failed statement spoils its transaction on PostgreSQL: try in one of its own.
    let mut dup = store.begin().await.unwrap();
    assert!(matches!(
        accounts::create_agent(dup.conn(), a.id, &new, 5).await,
        Err(StorageError::Conflict(_))
    ));
    drop(dup);
    let mut tx = store.begin().await.unwrap();
    // The same email in another account is another agent.
    accounts::create_agent(tx.conn(), b.id, &new, 5)
        .await
        .unwrap();
    assert!(matches!(
        accounts::get_agent(tx.conn(), b.id, agent.id).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(
        accounts::agents_for_login(tx.conn(), "x@a.nl")
            .await
            .unwrap()
            .len(),
        2
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn storage_identities_belong_to_one_contact_per_account() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let a = accounts::create_account(tx.conn(), "A", 1)
        .await
        .unwrap()
        .id;
    let b = accounts::create_account(tx.conn(), "B", 1)
        .await
        .unwrap()
        .id;
    let c1 = contacts::create_contact(tx.conn(), a, Some("Emma"), &json!({}), 1)
        .await
        .unwrap();
    let c2 = contacts::create_contact(tx.conn(), a, None, &json!({}), 1)
        .await
        .unwrap();
    let cb = contacts::create_contact(tx.conn(), b, None, &json!({}), 1)
        .await
        .unwrap();
    contacts::add_identity(tx.conn(), a, c1, IdentityKind::Phone, "+31612345678", 1)
        .await
        .unwrap();
    // Adding it again to the same contact is a no-op; to another is a conflict.
    contacts::add_identity(tx.conn(), a, c1, IdentityKind::Phone, "+31612345678", 1)
        .await
        .unwrap();
    assert!(matches!(
        contacts::add_identity(tx.conn(), a, c2, IdentityKind::Phone, "+31612345678", 1).await,
        Err(StorageError::Conflict(_))
    ));
    // Another account may know the same number as its own customer.
    contacts::add_identity(tx.conn(), b, cb, IdentityKind::Phone, "+31612345678", 1)
        .await
        .unwrap();
    assert_eq!(
        contacts::find_by_identity(tx.conn(), a, IdentityKind::Phone, "+31612345678")
            .await
            .unwrap(),
        Some(c1)
    );
    assert_eq!(
        contacts::find_by_identity(tx.conn(), b, IdentityKind::Phone, "+31612345678")
            .await
            .unwrap(),
        Some(cb)
    );
    let search = ContactSearch {
        exact_identities: vec!["+31612345678".into()],
        substring: None,
    };
    let found = contacts::list_contacts(tx.conn(), a, &search, None, 10)
        .await
        .unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c1]);
    let by_name = ContactSearch {
        exact_identities: vec![],
        substring: Some("emm".into()),
    };
    assert_eq!(
        contacts::list_contacts(tx.conn(), a, &by_name, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn storage_merge_moves_everything_and_split_restores_it() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let a = accounts::create_account(tx.conn(), "A", 1)
        .await
        .unwrap()
        .id;
    let target = contacts::create_contact(tx.conn(), a, Some("T"), &json!({}), 1)
        .await
        .unwrap();
    let source = contacts::create_contact(tx.conn(), a, Some("S"), &json!({}), 1)
        .await
        .unwrap();
    contacts::add_identity(tx.conn(), a, target, IdentityKind::Email, "t@x.nl", 1)
        .await
        .unwrap();
    let moved = contacts::add_identity(tx.conn(), a, source, IdentityKind::Email, "s@x.nl", 1)
        .await
        .unwrap();
    let conv = conversations::create_conversation(tx.conn(), a, source, None, None, 1)
        .await
        .unwrap();
    conversations::insert_message(tx.conn(), a, &msg(conv.id, Channel::Email, "hallo"), 2)
        .await
        .unwrap();

    let merge = contacts::merge_contacts(tx.conn(), a, target, source, None, 3)
        .await
        .unwrap();
    assert_eq!(merge.moved_identity_ids, vec![moved.id]);
    assert_eq!(merge.moved_conversation_ids, vec![conv.id]);
    assert_eq!(
        contacts::find_by_identity(tx.conn(), a, IdentityKind::Email, "s@x.nl")
            .await
            .unwrap(),
        Some(target)
    );
    assert_eq!(
        conversations::contact_timeline(tx.conn(), a, target, 0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        contacts::get_contact(tx.conn(), a, source)
            .await
            .unwrap()
            .merged_into_id,
        Some(target)
    );
    assert!(matches!(
        contacts::merge_contacts(tx.conn(), a, target, source, None, 4).await,
        Err(StorageError::Conflict(_))
    ));

    // A conversation started after the merge stays with the target.
    let later = conversations::create_conversation(tx.conn(), a, target, None, None, 5)
        .await
        .unwrap();
    contacts::split_merge(tx.conn(), a, merge.id, 6)
        .await
        .unwrap();
    assert_eq!(
        contacts::find_by_identity(tx.conn(), a, IdentityKind::Email, "s@x.nl")
            .await
            .unwrap(),
        Some(source)
    );
    assert_eq!(
        conversations::get_conversation(tx.conn(), a, conv.id)
            .await
            .unwrap()
            .contact_id,
        source
    );
    assert_eq!(
        conversations::get_conversation(tx.conn(), a, later.id)
            .await
            .unwrap()
            .contact_id,
        target
    );
    assert_eq!(
        contacts::get_contact(tx.conn(), a, source)
            .await
            .unwrap()
            .merged_into_id,
        None
    );
    assert!(matches!(
        contacts::split_merge(tx.conn(), a, merge.id, 7).await,
        Err(StorageError::Conflict(_))
    ));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn storage_timeline_spans_conversations_and_channels_in_order() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let a = accounts::create_account(tx.conn(), "A", 1)
        .await
        .unwrap()
        .id;
    let c = contacts::create_contact(tx.conn(), a, None, &json!({}), 1)
        .await
        .unwrap();
    let first = conversations::create_conversation(tx.conn(), a, c, None, None, 1)
        .await
        .unwrap();
    conversations::insert_message(tx.conn(), a, &msg(first.id, Channel::WebChat, "chat"), 2)
        .await
        .unwrap();
    conversations::insert_message(tx.conn(), a, &msg(first.id, Channel::Phone, "call"), 3)
        .await
        .unwrap();
    let second = conversations::create_conversation(tx.conn(), a, c, None, None, 4)
        .await
        .unwrap();
    conversations::insert_message(tx.conn(), a, &msg(second.id, Channel::Email, "mail"), 5)
        .await
        .unwrap();
    let all = conversations::contact_timeline(tx.conn(), a, c, 0, 100)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        ["chat", "call", "mail"]
    );
    assert_eq!(
        all.iter().map(|m| m.channel).collect::<Vec<_>>(),
        [Channel::WebChat, Channel::Phone, Channel::Email]
    );
    let rest = conversations::contact_timeline(tx.conn(), a, c, all[0].id, 100)
        .await
        .unwrap();
    assert_eq!(rest.len(), 2);
    let conv = conversations::get_conversation(tx.conn(), a, first.id)
        .await
        .unwrap();
    assert_eq!(conv.last_channel, Some(Channel::Phone));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn storage_external_ids_are_unique_per_channel() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let a = accounts::create_account(tx.conn(), "A", 1)
        .await
        .unwrap()
        .id;
    let c = contacts::create_contact(tx.conn(), a, None, &json!({}), 1)
        .await
        .unwrap();
    let conv = conversations::create_conversation(tx.conn(), a, c, None, None, 1)
        .await
        .unwrap();
    let mut m = msg(conv.id, Channel::WhatsApp, "hoi");
    m.external_id = Some("wamid.1");
    conversations::insert_message(tx.conn(), a, &m, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut dup = store.begin().await.unwrap();
    assert!(matches!(
        conversations::insert_message(dup.conn(), a, &m, 2).await,
        Err(StorageError::Conflict(_))
    ));
    drop(dup);
    let mut tx = store.begin().await.unwrap();
    m.channel = Channel::Sms;
    conversations::insert_message(tx.conn(), a, &m, 3)
        .await
        .unwrap();
    let found =
        conversations::find_message_by_external_id(tx.conn(), a, Channel::WhatsApp, "wamid.1")
            .await
            .unwrap();
    assert_eq!(found.map(|m| m.text), Some("hoi".to_string()));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn storage_conversation_filters_and_updates() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let a = accounts::create_account(tx.conn(), "A", 1)
        .await
        .unwrap()
        .id;
    let agent = accounts::create_agent(
        tx.conn(),
        a,
        &NewAgent {
            email: "a@a.nl",
            name: "A",
            role: Role::Agent,
            password_hash: None,
        },
        1,
    )
    .await
    .unwrap();
    let team = teams::create_team(tx.conn(), a, "Support", 1)
        .await
        .unwrap();
    teams::add_member(tx.conn(), a, team.id, agent.id)
        .await
        .unwrap();
    assert_eq!(
        teams::get_team(tx.conn(), a, team.id)
            .await
            .unwrap()
            .member_ids,
        vec![agent.id]
    );
    let inbox = inboxes::create_inbox(
        tx.conn(),
        a,
        "Chat",
        Channel::WebChat,
        &json!({"x": 1}),
        Some("wgt_test"),
        1,
    )
    .await
    .unwrap();
    let c = contacts::create_contact(tx.conn(), a, None, &json!({}), 1)
        .await
        .unwrap();
    let one = conversations::create_conversation(tx.conn(), a, c, Some(inbox.id), None, 1)
        .await
        .unwrap();
    let two = conversations::create_conversation(tx.conn(), a, c, None, None, 1)
        .await
        .unwrap();
    conversations::insert_message(tx.conn(), a, &msg(two.id, Channel::Email, "x"), 1)
        .await
        .unwrap();
    let changes = ConversationChanges {
        assignee_id: Some(Some(agent.id)),
        team_id: Some(Some(team.id)),
        labels: Some(vec!["retour".into(), "vip".into()]),
        ..Default::default()
    };
    let updated = conversations::update_conversation(tx.conn(), a, one.id, &changes, 2)
        .await
        .unwrap();
    assert_eq!(updated.labels, vec!["retour", "vip"]);
    let ids = |v: Vec<balie_domain::Conversation>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let f = |f: ConversationFilter| f;
    let mine = conversations::list_conversations(
        tx.conn(),
        a,
        &f(ConversationFilter {
            assignee_id: Some(agent.id),
            ..Default::default()
        }),
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(ids(mine), vec![one.id]);
    let unassigned = conversations::list_conversations(
        tx.conn(),
        a,
        &ConversationFilter {
            unassigned: true,
            ..Default::default()
        },
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(ids(unassigned), vec![two.id]);
    let vip = conversations::list_conversations(
        tx.conn(),
        a,
        &ConversationFilter {
            label: Some("vip".into()),
            ..Default::default()
        },
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(ids(vip), vec![one.id]);
    let by_channel = conversations::list_conversations(
        tx.conn(),
        a,
        &ConversationFilter {
            channel: Some(Channel::Email),
            ..Default::default()
        },
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(ids(by_channel), vec![two.id]);
    // Cursor: newest first, then older.
    let page1 =
        conversations::list_conversations(tx.conn(), a, &ConversationFilter::default(), None, 1)
            .await
            .unwrap();
    let page2 = conversations::list_conversations(
        tx.conn(),
        a,
        &ConversationFilter::default(),
        Some(page1[0].id),
        1,
    )
    .await
    .unwrap();
    assert_eq!((page1[0].id, page2[0].id), (two.id, one.id));
    teams::delete_team(tx.conn(), a, team.id).await.unwrap();
    assert_eq!(
        conversations::get_conversation(tx.conn(), a, one.id)
            .await
            .unwrap()
            .team_id,
        None
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn storage_events_are_read_after_an_id_per_account() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let a = accounts::create_account(tx.conn(), "A", 1)
        .await
        .unwrap()
        .id;
    let b = accounts::create_account(tx.conn(), "B", 1)
        .await
        .unwrap()
        .id;
    let event = |kind| NewEvent {
        kind,
        conversation_id: Some(7),
        contact_id: None,
        actor_type: AuthorType::System,
        actor_id: None,
        payload: json!({"n": 1}),
    };
    let e1 = events::append(&mut tx, a, &event(EventKind::ContactCreated), 1)
        .await
        .unwrap();
    let eb = events::append(&mut tx, b, &event(EventKind::ContactCreated), 1)
        .await
        .unwrap();
    let e2 = events::append(&mut tx, a, &event(EventKind::MessageCreated), 2)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(e1 < eb && eb < e2);
    let mut conn = store.read().await.unwrap();
    let all = events::list_after(&mut conn, a, 0, None, None, 10)
        .await
        .unwrap();
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), vec![e1, e2]);
    let after = events::list_after(&mut conn, a, e1, Some(7), None, 10)
        .await
        .unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].kind, EventKind::MessageCreated);
    assert_eq!(after[0].payload, json!({"n": 1}));
    assert_eq!(events::last_id(&mut conn, a).await.unwrap(), e2);
    assert_eq!(events::last_id(&mut conn, b).await.unwrap(), eb);
}
