import astropy.units as u

from obshub.station import Station


async def test_station_status_and_frame(station_file):
    st = Station.from_file(station_file)
    try:
        assert all(v is None for v in (await st.connect()).values())
        status = await st.status()
        assert all(d["ok"] for d in status["devices"].values()), status
        _, inst = st.instrument()
        img = await inst.camera.expose(0.5 * u.s)
        assert img.data.shape == (1024, 1024)
    finally:
        await st.aclose()
