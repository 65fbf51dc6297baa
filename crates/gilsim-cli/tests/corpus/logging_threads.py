# corpus: exact stderr
# logging from worker threads, one after another, with the thread name in each record.
import logging
import threading

logging.basicConfig(level=logging.INFO, format="%(threadName)s: %(levelname)s %(message)s")
log = logging.getLogger("app")


def job(n):
    log.info("working on %d", n)
    if n == 2:
        log.warning("job %d is slow", n)


for i in range(3):
    t = threading.Thread(target=job, args=(i,), name="job-%d" % i)
    t.start()
    t.join()
log.debug("not shown")
logging.info("all done")
