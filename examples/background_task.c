/* The guide's asyncio.create_task example in C: start a task in the background, do other
 * work, then await it. Prints the same lines in the same order; takes about 2 s, not 3. */
#include <cafe.h>

#include <stdio.h>
#include <time.h>

static void print_clock(const char *what) {
    char buf[16];
    time_t now = time(NULL);
    strftime(buf, sizeof buf, "%X", localtime(&now));
    printf("%s at %s\n", what, buf);
}

static int long_running_task(void *arg, void **value) {
    (void)arg;
    printf("Task started...\n");
    cafe_task_sleep(2000); /* simulate a long I/O operation */
    printf("Task finished!\n");
    *value = "Task result";
    return 0;
}

static int main_task(void *arg, void **value) {
    (void)arg;
    (void)value;
    print_clock("Started");

    /* Schedule the task to run in the background. */
    cafe_task_t *task;
    int rc = cafe_task_spawn(&task, long_running_task, NULL, NULL);
    if (rc != 0)
        return rc;

    /* We can do other things here while the task runs. */
    printf("Main function is doing other work...\n");
    cafe_task_sleep(1000);
    printf("Still doing other work...\n");

    /* Now wait for the task to complete and get its result. */
    cafe_result_t result;
    rc = cafe_task_join(task, &result);
    if (rc != 0)
        return rc;
    printf("The result was: %s\n", (const char *)result.value);

    print_clock("Finished");
    return 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    cafe_result_t result;
    int rc = cafe_run(main_task, NULL, &result);
    return rc == 0 && result.status == 0 ? 0 : 1;
}
