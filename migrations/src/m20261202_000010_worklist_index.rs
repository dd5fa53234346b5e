//! The agent's day of calls is read deadline first from an index on (store, assignee, status,
//! deadline), never by loading the agent's every open task (FU-5).

use sea_orm_migration::prelude::*;

migration! {
    up(m) {
        m.create_index(
            Index::create()
                .name("ix_tasks_day_queue")
                .table("follow_up_tasks")
                .col("store")
                .col("assignee")
                .col("status")
                .col("due_to")
                .col("id")
                .to_owned(),
        )
        .await
    }
    down(m) {
        m.drop_index(Index::drop().name("ix_tasks_day_queue").table("follow_up_tasks").to_owned()).await
    }
}
