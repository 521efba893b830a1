"""Elements seen as scalars: arr.data[i][j] (Values), arr[i, j] and iteration over a 1-D
array (0-d arrays) read and write the array itself, and gradients flow into it."""
import numpy as np
import pytest

import smolml
from smolml import MLArray


def test_int_index_reads_and_writes_the_array(backend):
    arr = MLArray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    element = arr[1, 2]
    assert element.shape == () and element.to_list() == 6.0
    element.update_values(60.0)
    assert arr.to_list() == [[1.0, 2.0, 3.0], [4.0, 5.0, 60.0]]
    element.data.data = -1.0
    assert arr.numpy()[1, 2] == -1.0
    arr[1, 2] = 7.0                                    # and the other way round
    assert element.to_list() == 7.0


def test_data_handles_read_and_write_the_array(backend):
    arr = MLArray([[1.0, 2.0], [3.0, 4.0]])
    handle = arr.data[0][1]
    assert isinstance(handle, smolml.Value) and handle.data == 2.0
    handle.data = 20.0
    assert arr.to_list() == [[1.0, 20.0], [3.0, 4.0]]
    arr.update_values([[0.0, 0.0], [0.0, 9.0]])
    assert arr.data[1][1].data == 9.0 and handle.data == 0.0


def test_iterating_a_vector_gives_its_elements(backend):
    v = MLArray([1.0, 2.0, 3.0])
    for element in v:
        element.update_values(element.to_list() * 10)
    assert v.to_list() == [10.0, 20.0, 30.0]


@pytest.mark.parametrize("take", [
    lambda arr: arr[0, 1],
    lambda arr: arr.data[0][1],
    lambda arr: list(arr[0])[1],
])
def test_gradient_flows_into_the_array(backend, take):
    arr = MLArray([[1.0, 2.0], [3.0, 4.0]])
    out = take(arr) * 3.0 + take(arr) ** 2                 # d/dx (3x + x²) = 3 + 2x at x=2
    out.backward()
    np.testing.assert_array_equal(arr.grad().numpy(), [[0.0, 7.0], [0.0, 0.0]])


def test_gradient_flows_through_an_interior_array(backend):
    x = MLArray([1.0, 2.0, 3.0])
    y = x * x                                          # interior: its grad flows on to x
    (y[1] * 5.0 + y.data[2] * 1.0).backward()
    np.testing.assert_allclose(x.grad().numpy(), [0.0, 5.0 * 2 * 2.0, 2 * 3.0])


def test_backward_from_an_element(backend):
    x = MLArray([[1.0, 2.0], [3.0, 4.0]])
    y = (x * 2.0).tanh()
    y[1, 0].backward()
    expected = np.zeros((2, 2))
    expected[1, 0] = 2.0 * (1.0 - np.tanh(6.0) ** 2)
    np.testing.assert_allclose(x.grad().numpy(), expected, rtol=1e-12)


def test_element_under_no_grad_tracks_nothing(backend):
    x = MLArray([1.0, 2.0])
    with smolml.no_grad():
        assert not x[0].requires_grad
    assert x[0].requires_grad
