//! The demo shop: an account with agents, a team, inboxes on several
//! channels, and contacts whose conversations move between channels, so a
//! newcomer sees Balie as a shop would.

use balie_domain::{Channel, ConversationStatus, Direction, IdentityKind, Role};
use serde_json::json;

use crate::auth::Bootstrapped;
use crate::contacts::IdentityInput;
use crate::conversations::{ConversationPatch, InboundMessage, ReplyInput};
use crate::directory::AgentInput;
use crate::{Actor, Result, Services};

pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.balie.dev";
pub const DEMO_AGENT_EMAIL: &str = "sanne@demo.balie.dev";
pub const DEMO_PASSWORD: &str = "balie-demo";

/// What was made, for printing the way in.
#[derive(Debug, Clone)]
pub struct Demo {
    pub bootstrapped: Bootstrapped,
    pub contacts: usize,
    pub conversations: usize,
}

fn id(kind: IdentityKind, value: &str) -> IdentityInput {
    IdentityInput {
        kind,
        value: value.to_string(),
    }
}

/// One scripted step of a demo conversation.
enum Step {
    Customer(Channel, Vec<IdentityInput>, &'static str),
    Agent(&'static str),
    /// An agent logs what the customer said on a call.
    CallLog(&'static str),
    Note(&'static str),
}

impl Services {
    /// Seeds the demo shop into an empty database.
    pub async fn seed_demo(&self) -> Result<Demo> {
        let boot = self
            .bootstrap(
                "Demo Webshop",
                DEMO_ADMIN_EMAIL,
                "Daan de Vries",
                DEMO_PASSWORD,
            )
            .await?;
        let admin = Actor {
            account_id: boot.account.id,
            agent_id: boot.admin.id,
            role: Role::Admin,
        };
        let sanne = self
            .create_agent(
                &admin,
                AgentInput {
                    email: DEMO_AGENT_EMAIL.into(),
                    name: "Sanne Jansen".into(),
                    role: Role::Agent,
                    password: Some(DEMO_PASSWORD.into()),
                },
            )
            .await?;
        let team = self.create_team(&admin, "Klantenservice").await?;
        self.update_team(&admin, team.id, None, &[boot.admin.id, sanne.id], &[])
            .await?;
        let web = self
            .create_inbox(
                &admin,
                "Webwinkel chat",
                Channel::WebChat,
                json!({
            "greeting_nl": "Hoi! Waar kunnen we je mee helpen?",
            "greeting_en": "Hi! How can we help you?",
            "business_hours": { "timezone": "Europe/Amsterdam", "week": {
                "mon": ["09:00-17:30"], "tue": ["09:00-17:30"], "wed": ["09:00-17:30"], "thu": ["09:00-17:30"],
                "fri": ["09:00-17:30"], "sat": ["10:00-16:00"] } },
        }),
            )
            .await?;
        let mail = self
            .create_inbox(
                &admin,
                "klantenservice@demo.balie.dev",
                Channel::Email,
                json!({}),
            )
            .await?;
        let whatsapp = self
            .create_inbox(
                &admin,
                "WhatsApp +31 20 123 4567",
                Channel::WhatsApp,
                json!({}),
            )
            .await?;
        let phone = self
            .create_inbox(&admin, "Telefoon", Channel::Phone, json!({}))
            .await?;
        let inbox_for = |c: Channel| match c {
            Channel::WebChat => web.id,
            Channel::Email => mail.id,
            Channel::WhatsApp => whatsapp.id,
            _ => phone.id,
        };

        use IdentityKind::*;
        use Step::*;
        let people: Vec<(&str, Vec<IdentityInput>, Vec<Step>)> = vec![
            ("Emma de Jong", vec![id(Email, "emma.dejong@example.nl"), id(Phone, "06-12345678"), id(ShopCustomerId, "C-1001")], vec![
                Customer(Channel::WebChat, vec![id(Email, "emma.dejong@example.nl")], "Hoi, waar blijft mijn bestelling 1045873? Ik had hem gisteren verwacht."),
                Agent("Hoi Emma, ik kijk het even voor je na. Je pakketje ligt bij PostNL en wordt morgen bezorgd."),
                Customer(Channel::WhatsApp, vec![id(Phone, "+31 6 1234 5678")], "Ik ben morgen niet thuis, kan het naar een afhaalpunt?"),
                Agent("Dat kan! Ik heb PostNL gevraagd het naar het afhaalpunt bij de Jumbo te brengen."),
                CallLog("Belde om te bevestigen dat het afhaalpunt klopt. Alles duidelijk."),
            ]),
            ("Lucas Bakker", vec![id(Email, "lucas.bakker@example.com")], vec![
                Customer(Channel::Email, vec![id(Email, "Lucas.Bakker@example.com")], "Goedemiddag, ik wil mijn bestelling 1045901 annuleren. Met vriendelijke groet, Lucas"),
                Agent("Beste Lucas, je bestelling is geannuleerd. Het bedrag staat binnen 3 werkdagen weer op je rekening."),
            ]),
            ("Sophie Visser", vec![id(Phone, "0031687654321")], vec![
                Customer(Channel::WhatsApp, vec![id(Phone, "31687654321")], "Hallo, mijn jas is te klein. Hoe kan ik hem retourneren?"),
                Agent("Hoi Sophie! Je kunt hem binnen 30 dagen gratis retourneren via je account. Zal ik een retourlabel mailen?"),
                Customer(Channel::Email, vec![id(Phone, "06 87654321"), id(Email, "sophie.visser@example.nl")], "Ja graag, mijn mailadres is sophie.visser@example.nl"),
                Note("Retourlabel handmatig verstuurd; klant is vaste klant."),
            ]),
            ("Noah Smit", vec![id(Email, "noah@example.be")], vec![
                Customer(Channel::WebChat, vec![id(Email, "noah@example.be")], "Where is my order 1046002? It's been a week."),
                Agent("Hi Noah, sorry for the wait. DHL shows it will arrive tomorrow before 17:00."),
            ]),
            ("Julia Meijer", vec![id(Email, "julia.meijer@example.nl")], vec![
                Customer(Channel::Email, vec![id(Email, "julia.meijer@example.nl")], "Ik heb twee keer betaald voor bestelling 1045990!! Graag terugbetalen."),
            ]),
            ("Daan Mulder", vec![id(Phone, "+32 470 12 34 56")], vec![
                Customer(Channel::WhatsApp, vec![id(Phone, "+32470123456")], "Goeiedag, is de blauwe trui nog in maat L te krijgen?"),
                Agent("Dag Daan, ja, maat L is weer op voorraad!"),
                Customer(Channel::WhatsApp, vec![id(Phone, "+32470123456")], "Super, merci!"),
            ]),
            ("Fleur de Boer", vec![id(Email, "fleur@example.nl"), id(Phone, "06-11122233")], vec![
                CallLog("Klant belde: factuur van bestelling 1045777 kwijt, wil een kopie per mail."),
                Agent("Hoi Fleur, zoals beloofd aan de telefoon: de factuur staat als bijlage in je account onder 'Bestellingen'."),
            ]),
            ("Milan Dekker", vec![id(Email, "milan.dekker@example.com")], vec![
                Customer(Channel::WebChat, vec![id(Email, "milan.dekker@example.com")], "Kan ik met iDEAL betalen?"),
                Agent("Zeker, iDEAL, creditcard en achteraf betalen met Klarna."),
            ]),
            ("Anna Vos", vec![id(Email, "anna.vos@example.nl")], vec![
                Customer(Channel::Email, vec![id(Email, "anna.vos@example.nl")], "Mijn wachtwoord resetten lukt niet, ik krijg geen mail."),
            ]),
            ("Sem Peters", vec![id(Phone, "06 5555 1234")], vec![
                Customer(Channel::WhatsApp, vec![id(Phone, "0655551234")], "ik wil een medewerker spreken"),
            ]),
            ("Tess Hendriks", vec![id(Email, "tess.hendriks@example.nl"), id(ShopCustomerId, "C-1017")], vec![
                Customer(Channel::WebChat, vec![id(ShopCustomerId, "C-1017")], "Kan ik mijn bezorgadres nog wijzigen voor bestelling 1046010?"),
                Agent("Hoi Tess, dat kan nog, hij is nog niet verzonden. Wat is het nieuwe adres?"),
            ]),
            ("Liam van Dijk", vec![id(Email, "liam.vandijk@example.nl")], vec![
                Customer(Channel::Email, vec![id(Email, "liam.vandijk@example.nl")], "Dank jullie wel voor de snelle hulp vorige week!"),
                Agent("Graag gedaan Liam, fijne dag!"),
            ]),
        ];

        let mut conversations = 0;
        let contacts = people.len();
        for (i, (name, identities, steps)) in people.into_iter().enumerate() {
            let contact = self
                .create_contact(
                    &admin,
                    Some(name),
                    json!({ "customer_since": 2019 + (i % 6) }),
                    &identities,
                )
                .await?;
            let mut conversation_id = None;
            for step in steps {
                match step {
                    Customer(channel, from, text) => {
                        let got = self
                            .ingest_without_bot(
                                admin.account_id,
                                InboundMessage {
                                    inbox_id: Some(inbox_for(channel)),
                                    channel,
                                    from,
                                    name: None,
                                    text: text.into(),
                                    external_id: None,
                                    conversation_id: None,
                                    attachments: Vec::new(),
                                    known_contact_id: None,
                                },
                            )
                            .await?;
                        conversation_id = Some(got.conversation.id);
                    }
                    Agent(text) | CallLog(text) | Note(text) => {
                        let cid = match conversation_id {
                            Some(c) => c,
                            None => {
                                let c = self
                                    .create_conversation(&admin, contact.id, Some(phone.id), None)
                                    .await?;
                                conversation_id = Some(c.id);
                                c.id
                            }
                        };
                        let (direction, private, channel) = match step {
                            CallLog(_) => (Direction::Inbound, false, Some(Channel::Phone)),
                            Note(_) => (Direction::Outbound, true, None),
                            _ => (Direction::Outbound, false, None),
                        };
                        let author = if i % 2 == 0 {
                            admin
                        } else {
                            Actor {
                                agent_id: sanne.id,
                                role: Role::Agent,
                                ..admin
                            }
                        };
                        self.add_message(
                            &author,
                            cid,
                            ReplyInput {
                                text: text.into(),
                                channel,
                                private,
                                direction,
                            },
                        )
                        .await?;
                    }
                }
            }
            if let Some(cid) = conversation_id {
                conversations += 1;
                let patch = match i % 4 {
                    0 => ConversationPatch {
                        status: Some(ConversationStatus::Resolved),
                        assignee_id: Some(Some(boot.admin.id)),
                        ..Default::default()
                    },
                    1 => ConversationPatch {
                        assignee_id: Some(Some(sanne.id)),
                        team_id: Some(Some(team.id)),
                        labels: Some(vec!["bestelling".into()]),
                        ..Default::default()
                    },
                    2 => ConversationPatch {
                        team_id: Some(Some(team.id)),
                        ..Default::default()
                    },
                    _ => ConversationPatch::default(),
                };
                self.update_conversation(&admin, cid, patch).await?;
            }
        }
        self.seed_demo_orders(&admin).await?;
        self.seed_demo_canned(&admin).await?;
        self.seed_demo_knowledge(&admin).await?;
        self.seed_demo_bot(&admin, web.id).await?;
        Ok(Demo {
            bootstrapped: boot,
            contacts,
            conversations,
        })
    }
}
