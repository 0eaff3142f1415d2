//! Who is in the demo: the customers, their contacts and their moves, each with how far its
//! story has gone.

use super::*;

pub(super) struct DemoCustomer {
    pub(super) name: &'static str,
    pub(super) kind: CustomerKind,
    pub(super) contact: (&'static str, &'static str),
    pub(super) address: (&'static str, &'static str, &'static str),
    pub(super) jobs: &'static [DemoJob],
}

/// One move and how far its story has gone.
pub(super) struct DemoJob {
    pub(super) story: JobStatus,
    /// The moving day, in days from today.
    pub(super) day: i64,
    pub(super) slot: (&'static str, &'static str),
    /// Indexes into the crew (Cees, Karim, Ruud).
    pub(super) crew: &'static [usize],
    pub(super) origin: (&'static str, &'static str),
    pub(super) destination: (&'static str, &'static str),
    pub(super) volume_m3: i32,
}

pub(super) const fn job(
    story: JobStatus,
    day: i64,
    slot: (&'static str, &'static str),
    crew: &'static [usize],
    origin: (&'static str, &'static str),
    destination: (&'static str, &'static str),
    volume_m3: i32,
) -> DemoJob {
    DemoJob {
        story,
        day,
        slot,
        crew,
        origin,
        destination,
        volume_m3,
    }
}

// The first job is today's move for the De Boers with Cees and Karim: tests rely on it being
// job 1. Every lifecycle state appears at least once.
pub(super) const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        name: "Familie De Boer",
        kind: CustomerKind::Household,
        contact: ("Sanne de Boer", "sanne@deboer.example"),
        address: ("Keizersgracht 12", "1015 CS", "Amsterdam"),
        jobs: &[
            job(
                JobStatus::Scheduled,
                0,
                ("13:00", "15:00"),
                &[0, 1],
                (
                    "Keizersgracht 12, Amsterdam",
                    "3rd floor, narrow stairs, no lift",
                ),
                (
                    "Oudegracht 45, Utrecht",
                    "Ground floor; parking permit arranged",
                ),
                28,
            ),
            job(
                JobStatus::Paid,
                -40,
                ("08:00", "10:00"),
                &[0, 2],
                ("Damrak 3, Amsterdam", "2nd floor, lift"),
                ("Keizersgracht 12, Amsterdam", "3rd floor, narrow stairs"),
                22,
            ),
        ],
    },
    DemoCustomer {
        name: "Pieter Smit",
        kind: CustomerKind::Household,
        contact: ("Pieter Smit", "pieter@smit.example"),
        address: ("Lange Voorhout 8", "2514 ED", "Den Haag"),
        jobs: &[
            job(
                JobStatus::Quoted,
                14,
                ("08:00", "10:00"),
                &[],
                ("Lange Voorhout 8, Den Haag", "Piano on the 1st floor"),
                ("Markt 21, Delft", "Street parking only"),
                35,
            ),
            job(
                JobStatus::Declined,
                30,
                ("10:00", "12:00"),
                &[],
                ("Lange Voorhout 8, Den Haag", "Storage unit"),
                ("Breestraat 2, Leiden", ""),
                8,
            ),
        ],
    },
    DemoCustomer {
        name: "Bakkerij Mulder B.V.",
        kind: CustomerKind::Business,
        contact: ("Eva Mulder", "eva@bakkerijmulder.example"),
        address: ("Coolsingel 40", "3011 AD", "Rotterdam"),
        jobs: &[
            job(
                JobStatus::EnRoute,
                0,
                ("09:00", "11:00"),
                &[2],
                ("Coolsingel 40, Rotterdam", "Loading bay at the back"),
                (
                    "Witte de Withstraat 7, Rotterdam",
                    "Shop front; ring the bell",
                ),
                40,
            ),
            job(
                JobStatus::Invoiced,
                -10,
                ("07:00", "09:00"),
                &[1, 2],
                ("Blaak 16, Rotterdam", "Ovens: two people per item"),
                ("Coolsingel 40, Rotterdam", "Loading bay"),
                30,
            ),
        ],
    },
    DemoCustomer {
        name: "Familie Yilmaz",
        kind: CustomerKind::Household,
        contact: ("Ayşe Yilmaz", "ayse@yilmaz.example"),
        address: ("Stationsplein 2", "2011 LR", "Haarlem"),
        jobs: &[
            job(
                JobStatus::Requested,
                21,
                ("08:00", "10:00"),
                &[],
                ("Stationsplein 2, Haarlem", "4th floor, lift"),
                ("Grote Markt 9, Groningen", "Ground floor"),
                45,
            ),
            job(
                JobStatus::Cancelled,
                10,
                ("08:00", "10:00"),
                &[],
                ("Stationsplein 2, Haarlem", "Garage"),
                ("Zijlweg 100, Haarlem", ""),
                6,
            ),
        ],
    },
    DemoCustomer {
        name: "Studio Hendriks",
        kind: CustomerKind::Business,
        contact: ("Lars Hendriks", "lars@studiohendriks.example"),
        address: ("Vrijthof 5", "6211 LD", "Maastricht"),
        jobs: &[
            job(
                JobStatus::Completed,
                -1,
                ("08:00", "10:00"),
                &[0, 1],
                ("Vrijthof 5, Maastricht", "Studio lights: fragile"),
                ("Stratumseind 30, Eindhoven", "1st floor, lift"),
                25,
            ),
            job(
                JobStatus::Overdue,
                -45,
                ("08:00", "10:00"),
                &[0, 1],
                ("Neude 1, Utrecht", ""),
                ("Vrijthof 5, Maastricht", ""),
                20,
            ),
        ],
    },
    DemoCustomer {
        name: "Familie Jansen",
        kind: CustomerKind::Household,
        contact: ("Marleen Jansen", "marleen@jansen.example"),
        address: ("Westersingel 20", "3014 GP", "Rotterdam"),
        jobs: &[
            job(
                JobStatus::InProgress,
                0,
                ("08:00", "10:00"),
                &[0, 1],
                (
                    "Westersingel 20, Rotterdam",
                    "1st floor, large windows for hoisting",
                ),
                ("Dorpsstraat 4, Bergschenhoek", "Detached house, drive"),
                32,
            ),
            job(
                JobStatus::Accepted,
                7,
                ("08:00", "10:00"),
                &[],
                ("Dorpsstraat 4, Bergschenhoek", "Shed"),
                ("Westersingel 20, Rotterdam", "Basement storage"),
                5,
            ),
            job(
                JobStatus::Expired,
                -5,
                ("08:00", "10:00"),
                &[],
                ("Westersingel 20, Rotterdam", ""),
                ("Hoogstraat 1, Schiedam", ""),
                12,
            ),
        ],
    },
];
