//! Node faults under the instances: a node cut from the primary component, a node killed with
//! SIGKILL under load. The instances of the other nodes go on; the instances of the faulty node
//! answer 503 (with `Retry-After`) quickly and serve again, without a restart, when it is back.
//!
//! These tests change the shared cluster: the `galera` test group runs this binary's tests one
//! at a time (.config/nextest.toml), and a guard puts the node back even when a test fails.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use test_support::{Api, Instance, Merchant, eventually};

use crate::support::{
    ClusterDb, assert_books_balance_on_every_node, assert_creates, galera, instance_on, merchant,
    payment, ready_payment,
};

/// Puts node `n` back (rejoin after an isolation, restart after a kill) when dropped.
struct NodeBack {
    node: &'static str,
    how: &'static str,
    done: bool,
}

impl NodeBack {
    /// Does `fault` to `node` (`scripts/galera <fault> <node>`); `how` undoes it.
    fn after(fault: &str, node: &'static str, how: &'static str) -> Self {
        galera(&[fault, node]);
        Self {
            node,
            how,
            done: false,
        }
    }

    fn after_isolating(node: &'static str) -> Self {
        Self::after("isolate", node, "rejoin")
    }

    fn after_killing(node: &'static str) -> Self {
        Self::after("kill", node, "restart")
    }

    async fn bring_back(mut self) {
        let (how, node) = (self.how, self.node);
        tokio::task::spawn_blocking(move || galera(&[how, node]))
            .await
            .expect("scripts/galera ran");
        self.done = true;
    }
}

impl Drop for NodeBack {
    fn drop(&mut self) {
        if !self.done {
            galera(&[self.how, self.node]);
        }
    }
}

/// Polls `/ready` of `api` until its status and detail are `wanted`, for at most `timeout`;
/// the detail.
async fn ready_when(
    api: &Api,
    timeout: Duration,
    what: &str,
    wanted: impl Fn(u16, &str) -> bool,
) -> String {
    let wanted = &wanted;
    eventually(what, timeout, move || async move {
        let reply = api.get("/ready").await.map_err(|e| e.to_string())?;
        let detail = reply.json["detail"].as_str().unwrap_or("").to_owned();
        if wanted(reply.status, &detail) {
            Ok(detail)
        } else {
            Err(format!("{} {detail}", reply.status))
        }
    })
    .await
}

async fn wait_ready(instance: &Instance, timeout: Duration, what: &str) {
    ready_when(instance, timeout, what, |status, _| status == 200).await;
}

#[actix_web::test]
async fn a_node_out_of_quorum_answers_503_with_retry_after_and_its_ready_names_it_until_it_rejoins()
{
    let db = ClusterDb::create().await;
    let a = instance_on(&db, 1, &[]).await;
    let c = instance_on(&db, 3, &[]).await;
    let m = merchant(&a).await;
    let key = ready_payment(&a, &m, "before-isolation").await;

    let node = NodeBack::after_isolating("3");
    // Until the cluster has evicted it (a few seconds), the node's commits stall and C may
    // answer 503 for want of a free connection; then the node knows, and `/ready` says why.
    let detail = ready_when(
        &c,
        Duration::from_secs(20),
        "/ready of C says 503 naming the node state",
        |status, detail| status == 503 && detail.contains("Galera node is not ready"),
    )
    .await;
    assert!(detail.contains("non-Primary"), "{detail}");

    let read = c
        .signed(&m, "GET", &format!("/api/payments/{key}"), None, &[])
        .await
        .expect("read sent");
    assert_eq!(read.status, 503, "{}", read.text());
    assert_eq!(read.json["code"], "SERVICE_UNAVAILABLE");
    assert!(read.retry_after().is_some(), "503 carries Retry-After");
    let create = c
        .create_payment(&m, "during-isolation", 10_000)
        .await
        .expect("create sent");
    assert_eq!(create.status, 503, "{}", create.text());
    assert_creates(
        &a,
        &m,
        "on-a-during-isolation",
        "the primary component goes on",
    )
    .await;

    node.bring_back().await;
    wait_ready(&c, Duration::from_secs(30), "/ready of C is 200 again").await;
    assert_creates(&c, &m, "after-rejoin", "C serves again without a restart").await;
    assert_eq!(payment(&c, &m, &key).await["status"], "READY");
    assert_books_balance_on_every_node(&db).await;
}

/// One create of the load: which instance, when it was answered, the status, the key.
struct Answer {
    instance: usize,
    at: Instant,
    status: u16,
    key: Option<String>,
}

/// Creates payments through `instances` in turn until `stop`.
async fn load(instances: Vec<Api>, m: Merchant, stop: Arc<AtomicBool>) -> Vec<Answer> {
    let mut seen = Vec::new();
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let instance = i % instances.len();
        let reply = instances[instance]
            .create_payment(&m, &format!("load-{i}"), 10_000)
            .await
            .expect("create sent");
        seen.push(Answer {
            instance,
            at: Instant::now(),
            status: reply.status,
            key: reply.json["paymentKey"].as_str().map(str::to_owned),
        });
        i += 1;
    }
    seen
}

#[actix_web::test]
async fn a_node_killed_under_load_takes_only_its_instances_out_and_rejoins_with_nothing_lost() {
    let db = ClusterDb::create().await;
    let a = instance_on(&db, 1, &[]).await;
    let b = instance_on(&db, 2, &[]).await;
    let c = instance_on(&db, 3, &[]).await;
    let m = merchant(&a).await;
    let stop = Arc::new(AtomicBool::new(false));
    let apis = vec![a.api.clone(), b.api.clone(), c.api.clone()];
    let load = actix_web::rt::spawn(load(apis, m.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(1)).await;

    let killed = Instant::now();
    let node = NodeBack::after_killing("3");
    ready_when(
        &c,
        Duration::from_secs(5),
        "/ready of C says 503",
        |status, _| status == 503,
    )
    .await;
    let took = killed.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "C is out within a second or two, took {took:?}"
    );
    // After the stall of eviction, the surviving nodes' instances serve.
    eventually(
        "A creates after the kill",
        Duration::from_secs(20),
        || async {
            let reply = a
                .create_payment(&m, "after-kill", 10_000)
                .await
                .map_err(|e| e.to_string())?;
            match reply.status {
                201 => Ok(()),
                other => Err(format!("{other} {}", reply.text())),
            }
        },
    )
    .await;
    let stall_over = Instant::now();
    let dead_for = killed.elapsed();

    node.bring_back().await;
    wait_ready(&c, Duration::from_secs(30), "/ready of C is 200 again").await;
    let c_back = Instant::now();
    assert_creates(&c, &m, "after-restart", "C serves again without a restart").await;

    stop.store(true, Ordering::Relaxed);
    let seen = load.await.expect("the load ran");
    for answer in &seen {
        // Every write in the cluster stalls until the dead node is evicted; an instance whose
        // requests wait too long for a connection then may say 503 (never anything else). After
        // the stall only C's may, and only until its node is back.
        let refusable_until = if answer.instance == 2 {
            c_back
        } else {
            stall_over
        };
        let refusal_allowed = answer.at >= killed && answer.at <= refusable_until;
        assert!(
            answer.status == 201 || (answer.status == 503 && refusal_allowed),
            "{} from instance {} at {:?} after the kill (stall over at {:?}, C back at {:?})",
            answer.status,
            answer.instance + 1,
            answer.at.saturating_duration_since(killed),
            stall_over - killed,
            c_back - killed
        );
    }
    let created: Vec<&String> = seen
        .iter()
        .filter(|a| a.status == 201)
        .filter_map(|a| a.key.as_ref())
        .collect();
    assert!(
        created.len() > 10,
        "the load ran: {} created",
        created.len()
    );
    for key in &created {
        assert_eq!(
            payment(&b, &m, key).await["paymentKey"],
            key.as_str(),
            "a payment that got 201 survived the kill"
        );
    }
    eprintln!(
        "node 3 was down for {dead_for:?}; {} creates, {} answered 201",
        seen.len(),
        created.len()
    );
    assert_books_balance_on_every_node(&db).await;
}
