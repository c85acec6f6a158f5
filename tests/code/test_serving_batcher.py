"""The micro-batcher: coalescing, order, bounded queue, timeouts, errors and draining on close."""

import asyncio

import pytest

from llm.prediction import Prediction
from serving.batcher import BatcherClosed, MicroBatcher, Overloaded, RequestTimeout


class RecordingModel:
    """A stand-in model that labels each text by its length and records how it was called."""

    def __init__(self, delay_s: float = 0.0, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.delay_s = delay_s
        self.fail_on = fail_on

    async def predict(self, texts: list[str]) -> list[Prediction]:
        self.calls.append(list(texts))
        await asyncio.sleep(self.delay_s)
        if self.fail_on in texts:
            raise ValueError(f"cannot score {self.fail_on!r}")
        return [Prediction(emotion="joy", confidence=1.0, scores={"joy": 1.0}, model_version=text)
                for text in texts]


def run(coroutine):
    return asyncio.run(coroutine)


def test_concurrent_requests_share_one_call_and_get_their_own_answers():
    model = RecordingModel()

    async def scenario():
        batcher = MicroBatcher(model.predict, max_batch_size=16, max_wait_s=0.05)
        batcher.start()
        results = await asyncio.gather(*[batcher.submit([f"a{i}", f"b{i}"]) for i in range(5)])
        await batcher.close()
        return results

    results = run(scenario())
    assert len(model.calls) == 1 and len(model.calls[0]) == 10
    assert [[p.model_version for p in r] for r in results] == [[f"a{i}", f"b{i}"] for i in range(5)]


def test_batches_never_exceed_the_maximum_size():
    model = RecordingModel()

    async def scenario():
        batcher = MicroBatcher(model.predict, max_batch_size=4, max_wait_s=0.05)
        batcher.start()
        await asyncio.gather(*[batcher.submit([str(i)]) for i in range(10)])
        await batcher.close()

    run(scenario())
    assert [len(call) for call in model.calls] == [4, 4, 2]


def test_without_coalescing_each_request_is_its_own_call():
    model = RecordingModel()

    async def scenario():
        batcher = MicroBatcher(model.predict, max_batch_size=16, max_wait_s=0.05, coalesce=False)
        batcher.start()
        await asyncio.gather(*[batcher.submit([str(i)]) for i in range(3)])
        await batcher.close()

    run(scenario())
    assert [len(call) for call in model.calls] == [1, 1, 1]


def test_a_full_queue_refuses_at_once():
    model = RecordingModel(delay_s=0.2)

    async def scenario():
        batcher = MicroBatcher(model.predict, max_batch_size=1, max_wait_s=0, max_queue=2)
        batcher.start()
        outcomes = await asyncio.gather(*[batcher.submit([str(i)]) for i in range(6)], return_exceptions=True)
        await batcher.close()
        return outcomes

    outcomes = run(scenario())
    refused = [o for o in outcomes if isinstance(o, Overloaded)]
    answered = [o for o in outcomes if isinstance(o, list)]
    assert refused and answered and len(refused) + len(answered) == 6


def test_a_slow_answer_times_out_and_the_batcher_keeps_working():
    model = RecordingModel(delay_s=0.3)

    async def scenario():
        batcher = MicroBatcher(model.predict, max_batch_size=1, max_wait_s=0, timeout_s=0.05)
        batcher.start()
        with pytest.raises(RequestTimeout):
            await batcher.submit(["slow"])
        batcher.timeout_s = 5
        answer = await batcher.submit(["next"])
        await batcher.close()
        return answer

    assert run(scenario())[0].model_version == "next"


def test_a_model_error_reaches_every_request_of_the_batch_only():
    model = RecordingModel(fail_on="bad")

    async def scenario():
        batcher = MicroBatcher(model.predict, max_batch_size=8, max_wait_s=0.05)
        batcher.start()
        outcomes = await asyncio.gather(batcher.submit(["bad"]), batcher.submit(["good"]),
                                        return_exceptions=True)
        later = await batcher.submit(["later"])
        await batcher.close()
        return outcomes, later

    outcomes, later = run(scenario())
    assert all(isinstance(o, ValueError) for o in outcomes)
    assert later[0].model_version == "later"


def test_close_finishes_queued_work_and_refuses_new_work():
    model = RecordingModel(delay_s=0.05)

    async def scenario():
        batcher = MicroBatcher(model.predict, max_batch_size=1, max_wait_s=0)
        batcher.start()
        pending = [asyncio.create_task(batcher.submit([str(i)])) for i in range(4)]
        await asyncio.sleep(0)  # let them queue
        await batcher.close()
        assert len(model.calls) == 4  # all answered before close returned
        with pytest.raises(BatcherClosed):
            await batcher.submit(["too late"])
        return [result[0].model_version for result in await asyncio.gather(*pending)]

    assert run(scenario()) == ["0", "1", "2", "3"]
